package gen

import (
	"strings"

	"github.com/unifycdp/unify/profile"
)

// firstName is a first name with its e-mail spelling, gender and whether it
// is typical of Swedish-speaking Finns.
type firstName struct {
	name, ascii string
	female      bool
	swedish     bool
}

// lastName is a family name with its e-mail spelling.
type lastName struct {
	name, ascii string
	swedish     bool
}

var firstNames = func() []firstName {
	female := []string{
		"Aino", "Anna", "Anne", "Anni", "Anu", "Eeva", "Elina", "Ella", "Emma", "Helena",
		"Hanna", "Heidi", "Iida", "Johanna", "Julia", "Kaisa", "Katja", "Kirsi", "Laura", "Leena",
		"Liisa", "Maija", "Marja", "Minna", "Noora", "Outi", "Päivi", "Pirjo", "Riikka", "Satu",
		"Sanna", "Sari", "Suvi", "Tiina", "Tuula", "Venla", "Anna-Liisa", "Sini", "Kristiina", "Jenni",
		"Hilkka", "Sofia", "Aleksandra", "Mirja", "Seija", "Ritva", "Pia", "Siiri", "Ronja", "Elsa",
	}
	femaleSv := []string{"Ebba", "Annika", "Maria", "Linnéa", "Ingrid", "Karin", "Solveig", "Åsa", "Camilla", "Frida"}
	male := []string{
		"Aleksi", "Antti", "Ari", "Eero", "Eino", "Esa", "Heikki", "Ilkka", "Janne", "Jari",
		"Jukka", "Jussi", "Juha", "Kalle", "Kari", "Lauri", "Markku", "Matti", "Mikko", "Niko",
		"Olli", "Onni", "Pekka", "Petri", "Risto", "Sami", "Seppo", "Teemu", "Timo", "Tuomas",
		"Väinö", "Ville", "Jyrki", "Pentti", "Ossi", "Toni", "Joonas", "Eetu", "Juho", "Leevi",
		"Veikko", "Jorma", "Hannu", "Tapani", "Lasse", "Mika", "Kimmo", "Arttu", "Eemeli", "Oskari",
	}
	maleSv := []string{"Erik", "Johan", "Henrik", "Anders", "Mats", "Björn", "Göran", "Fredrik", "Stefan", "Jörgen"}
	var out []firstName
	add := func(names []string, female, sv bool) {
		for _, n := range names {
			out = append(out, firstName{n, asciiLower(n), female, sv})
		}
	}
	add(female, true, false)
	add(femaleSv, true, true)
	add(male, false, false)
	add(maleSv, false, true)
	return out
}()

var lastNames = func() []lastName {
	fi := []string{
		"Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen", "Koskinen", "Järvinen",
		"Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi", "Heikkilä", "Kinnunen", "Salonen", "Turunen",
		"Salo", "Laitinen", "Tuominen", "Rantanen", "Karjalainen", "Jokinen", "Mattila", "Savolainen", "Lahtinen", "Ahonen",
		"Jääskeläinen", "Äijälä", "Kärkkäinen", "Pääkkönen", "Hyvönen", "Väisänen", "Räsänen", "Pöllänen", "Ylönen", "Ström",
		"Leinonen", "Hiltunen", "Miettinen", "Kettunen", "Pitkänen", "Seppälä", "Hirvonen", "Lindroos", "Manninen", "Anttila",
		"Ojala", "Väänänen", "Hakala", "Kallio", "Peltonen", "Koivisto", "Toivonen", "Rinne", "Lampinen", "Koponen",
		"Huttunen", "Kokkonen", "Mustonen", "Lappalainen", "Mäkäräinen", "Parviainen", "Ylä-Mononen", "Kiiskinen", "Nurmi", "Aaltonen",
	}
	sv := []string{
		"Öhman", "Sörensen", "Lindström", "Sjöberg", "Åström", "Björklund", "Söderholm", "Wikström", "Grönroos", "Löfgren",
		"Lindqvist", "Holmberg", "Nyström", "Forsström", "Johansson", "Karlsson", "Lindholm", "Bergström", "Sundqvist", "Westerlund",
	}
	var out []lastName
	for _, n := range fi {
		out = append(out, lastName{n, asciiLower(n), false})
	}
	for _, n := range sv {
		out = append(out, lastName{n, asciiLower(n), true})
	}
	return out
}()

// asciiLower is how people spell a name in an e-mail address: lower case,
// without diacritics.
func asciiLower(s string) string {
	r := strings.NewReplacer("ä", "a", "Ä", "a", "ö", "o", "Ö", "o", "å", "a", "Å", "a", "é", "e", "ü", "u")
	return strings.ToLower(r.Replace(s))
}

// personalDomains are where people keep their own mailboxes, most common
// first (pickDomain favours the head of the list).
var personalDomains = []string{
	"gmail.com", "hotmail.com", "outlook.com", "yahoo.com", "icloud.com", "luukku.com",
	"hotmail.fi", "live.fi", "suomi24.fi", "elisanet.fi", "kolumbus.fi", "saunalahti.fi", "protonmail.com",
}

// householdDomains are Finnish ISP mailboxes that families share.
var householdDomains = []string{"elisanet.fi", "kolumbus.fi", "saunalahti.fi", "dnainternet.net", "netti.fi"}

// city is a place with its postal code range, region and home store.
type city struct {
	name, region string
	postal       int // first postal code of the range
	codes        int // how many codes (steps of 10) the range has
	weight       int
	store        int // index in stores
	swedish      bool
}

var cities = []city{
	{"Helsinki", "Uusimaa", 100, 90, 30, 0, false},
	{"Espoo", "Uusimaa", 2100, 84, 14, 2, false},
	{"Vantaa", "Uusimaa", 1300, 46, 11, 3, false},
	{"Tampere", "Pirkanmaa", 33100, 80, 12, 4, false},
	{"Turku", "Varsinais-Suomi", 20100, 80, 10, 5, false},
	{"Oulu", "Pohjois-Pohjanmaa", 90100, 84, 9, 6, false},
	{"Jyväskylä", "Keski-Suomi", 40100, 85, 7, 7, false},
	{"Lahti", "Päijät-Häme", 15100, 80, 6, 8, false},
	{"Kuopio", "Pohjois-Savo", 70100, 80, 6, 9, false},
	{"Porvoo", "Uusimaa", 6100, 65, 3, 1, true},
	{"Vaasa", "Pohjanmaa", 65100, 70, 4, 10, true},
	{"Pori", "Satakunta", 28100, 80, 4, 5, false},
}

// cityTotal is the sum of the city weights.
var cityTotal = func() int {
	t := 0
	for _, c := range cities {
		t += c.weight
	}
	return t
}()

var streets = []string{
	"Mannerheimintie", "Hämeenkatu", "Aleksanterinkatu", "Kauppakatu", "Koulukatu", "Rantatie",
	"Puistokatu", "Asematie", "Kirkkokatu", "Satamakatu", "Koivukuja", "Mäntytie", "Vaahterakuja",
	"Sibeliuksenkatu", "Runebergintie", "Pihlajatie", "Myllytie", "Kuusitie", "Länsiväylä", "Itäinen Pitkäkatu",
	"Köydenpunojankatu", "Storgatan", "Strandvägen", "Kalevankatu", "Tehtaankatu",
}

// stores are the chain's shops; the first of a city is its home store.
var stores = []string{
	"Helsinki Kamppi", "Porvoo Centrum", "Espoo Iso Omena", "Vantaa Jumbo", "Tampere Koskikeskus",
	"Turku", "Oulu", "Jyväskylä Forum", "Lahti Trio", "Kuopio Matkus", "Vaasa Rewell", "Helsinki Itis",
}

// product is an item of the home-goods catalogue.
type product struct {
	sku, name string
	cat       int
	price     profile.Money
	url       string // its page in the webstore, set by init
}

func init() {
	for i := range catalogue {
		p := &catalogue[i]
		p.url = shopURL + "/" + categories[p.cat] + "/" + p.sku
	}
	for i, pg := range webPages {
		webPages[i] = shopURL + pg
	}
}

var categories = []string{"curtains", "bedding", "towels", "rugs", "lighting", "kitchen"}

var catalogue = []product{
	{"CU-1001", "Pellavaverho 140x250 luonnonvalkoinen", 0, 4990, ""},
	{"CU-1002", "Pimennysverho 140x240 harmaa", 0, 3990, ""},
	{"CU-1003", "Sametti verho 135x250 vihreä", 0, 5990, ""},
	{"CU-1004", "Harsoverho 300x250 valkoinen", 0, 2490, ""},
	{"CU-1005", "Verhotanko 120-210 cm musta", 0, 1990, ""},
	{"CU-1006", "Lasten verho Muumi 2 kpl", 0, 3490, ""},
	{"BE-2001", "Pussilakanasetti satiini 150x210", 1, 5990, ""},
	{"BE-2002", "Pellavalakana 270x270", 1, 7990, ""},
	{"BE-2003", "Untuvapeitto 150x200 lämmin", 1, 12900, ""},
	{"BE-2004", "Tyyny 50x60 pehmeä", 1, 2490, ""},
	{"BE-2005", "Päiväpeite 260x260 beige", 1, 6990, ""},
	{"BE-2006", "Muotoonommeltu lakana 90x200", 1, 1990, ""},
	{"BE-2007", "Torkkupeitto villa 130x170", 1, 8990, ""},
	{"TO-3001", "Kylpypyyhe 70x140 frotee", 2, 1690, ""},
	{"TO-3002", "Käsipyyhe 50x70 2 kpl", 2, 1490, ""},
	{"TO-3003", "Saunapyyhe pellava 80x150", 2, 3990, ""},
	{"TO-3004", "Kylpytakki puuvilla L", 2, 4990, ""},
	{"TO-3005", "Kylpyhuoneen matto 60x90", 2, 2490, ""},
	{"TO-3006", "VierasPyyhe 30x50 5 kpl", 2, 1290, ""},
	{"RU-4001", "Villamatto 160x230 harmaa", 3, 19900, ""},
	{"RU-4002", "Räsymatto 70x200 sininen", 3, 3990, ""},
	{"RU-4003", "Kuviomatto 200x300", 3, 29900, ""},
	{"RU-4004", "Ovimatto 50x80 kookos", 3, 1990, ""},
	{"RU-4005", "Pyöreä matto Ø 120 cm", 3, 8990, ""},
	{"RU-4006", "Ulkomatto 140x200 muovi", 3, 4990, ""},
	{"LI-5001", "Pöytävalaisin messinki", 4, 8990, ""},
	{"LI-5002", "Riippuvalaisin Ø 45 cm", 4, 12900, ""},
	{"LI-5003", "LED-valonauha 5 m", 4, 2990, ""},
	{"LI-5004", "Lattiavalaisin musta", 4, 14900, ""},
	{"LI-5005", "Tähtivalo joulu 60 cm", 4, 3490, ""},
	{"LI-5006", "Kynttilälyhty lasi", 4, 1990, ""},
	{"LI-5007", "LED-lamppu E27 3 kpl", 4, 990, ""},
	{"KI-6001", "Kattila 3 l ruostumaton teräs", 5, 4990, ""},
	{"KI-6002", "Paistinpannu 28 cm valurauta", 5, 6990, ""},
	{"KI-6003", "Veitsisarja 5 osaa", 5, 8990, ""},
	{"KI-6004", "Astiapyyhe 3 kpl", 5, 990, ""},
	{"KI-6005", "Kahvimuki 4 kpl kivitavara", 5, 2990, ""},
	{"KI-6006", "Leikkuulauta tammi", 5, 3490, ""},
	{"KI-6007", "Pöytäliina 145x250", 5, 3990, ""},
	{"KI-6008", "Patalappu ja -kinnas", 5, 1290, ""},
}

// byCategory lists the indexes in catalogue of each category.
var byCategory = func() [][]int {
	out := make([][]int, len(categories))
	for i, p := range catalogue {
		out[p.cat] = append(out[p.cat], i)
	}
	return out
}()

var searches = [][]string{
	{"pellavaverho", "pimennysverho", "verhot", "verhotanko", "harsoverho", "verho 250"},
	{"lakanat", "pussilakana", "peitto", "tyyny", "päiväpeite", "lakana 90x200"},
	{"pyyhe", "saunapyyhe", "kylpytakki", "pyyheliina", "käsipyyhkeet"},
	{"matto", "villamatto", "räsymatto", "matto 160x230", "ovimatto", "mato"},
	{"valaisin", "lamppu", "led nauha", "tähtivalo", "lattiavalaisin", "riippuvalaisin"},
	{"kattila", "paistinpannu", "veitset", "muki", "pöytäliina", "leikkuulauta"},
}

var coupons = []struct {
	code string
	pct  int
}{{"WELCOME10", 10}, {"KEVAT15", 15}, {"BLACKWEEK25", 25}, {"KANTIS20", 20}, {"SYNTTARI10", 10}}

// campaigns by month (1-based index minus one).
var campaigns = [12]string{
	"tammiale", "ystavanpaiva", "kevat", "paasiainen", "aitienpaiva", "kesa",
	"kesaale", "syksy", "koulu", "sisustus", "black-week", "joulu",
}

var ticketReasons = []string{
	"delivery_delay", "return_request", "damaged_product", "loyalty_card", "invoice",
	"product_question", "order_change", "warranty",
}

var webPages = []string{"/", "/kampanjat", "/uutuudet", "/myymalat", "/asiakaspalvelu", "/outlet"}

// placeholder values cashiers and agents type when a field is mandatory.
var (
	placeholderEmails = []string{"test@test.com", "noemail@noemail.com", "no@email.com", "asd@asd.fi", "x@x.fi", "NOEMAIL@NOEMAIL.COM"}
	placeholderPhones = []string{"0000000000", "000 000 0000", "n/a", "-", "+358000000000", "ei ole"}
)
