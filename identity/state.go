package identity

// Stored state of the graph. Every value is derived from the evidence
// (records and their identifiers) and is rebuilt by Rebuild.

// identState is kept per identifier value.
type identState struct {
	comp     uint64      // raw component, 0 when the value does not link
	profile  string      // profile the value was placed in, "" if none
	sets     uint64      // number of identifier sets carrying the value
	stronger []strongRef // distinct stronger values seen with it (capped)
	capped   bool        // unlinked to keep a component under the size cap
}

// strongRef names a stronger identifier seen together with a value, by
// type and a hash of the value (sharedness only counts distinct values).
type strongRef struct {
	typ  Type
	hash uint64
}

// setState is kept per distinct identifier set.
type setState struct {
	ids     []ID
	anchor  RecordKey // earliest record carrying exactly these identifiers
	count   uint64    // records carrying them
	comp    uint64
	profile string
}

// compState lists a component's sets. A clean component resolved to one
// profile with no link refused: any set that joins it without touching
// another component, without breaking a limit and without naming an
// earlier record, joins that profile and changes nothing else, so Link can
// skip re-resolving it.
type compState struct {
	sets  []SetHash
	clean bool
}

type profileState struct {
	comp   uint64
	anchor RecordKey
	sets   []SetHash
	ids    []ID
}

type recordState struct {
	time int64
	set  SetHash
}

const stateVersion = 1

func (s *identState) encode() []byte { return s.appendTo(make([]byte, 0, 32)) }

func (s *identState) appendTo(dst []byte) []byte {
	w := writer{b: dst[:0]}
	w.uvarint(stateVersion)
	w.uvarint(s.comp)
	w.str(s.profile)
	w.uvarint(s.sets)
	var flags uint64
	if s.capped {
		flags |= 1
	}
	w.uvarint(flags)
	w.uvarint(uint64(len(s.stronger)))
	for _, r := range s.stronger {
		w.str(string(r.typ))
		w.uvarint(r.hash)
	}
	return w.b
}

func decodeIdent(b []byte) (*identState, error) {
	r := reader{b: b}
	if r.uvarint() != stateVersion {
		r.fail()
	}
	s := &identState{comp: r.uvarint(), profile: r.str(), sets: r.uvarint()}
	s.capped = r.uvarint()&1 != 0
	n := r.count()
	for range n {
		s.stronger = append(s.stronger, strongRef{Type(r.str()), r.uvarint()})
	}
	return s, r.err
}

func (s *setState) encode() []byte { return s.appendTo(make([]byte, 0, 64)) }

func (s *setState) appendTo(dst []byte) []byte {
	w := writer{b: dst[:0]}
	w.uvarint(stateVersion)
	w.uvarint(uint64(len(s.ids)))
	for _, id := range s.ids {
		w.id(id)
	}
	w.key(s.anchor)
	w.uvarint(s.count)
	w.uvarint(s.comp)
	w.str(s.profile)
	return w.b
}

func decodeSet(b []byte) (*setState, error) {
	r := reader{b: b}
	if r.uvarint() != stateVersion {
		r.fail()
	}
	s := &setState{}
	n := r.count()
	s.ids = make([]ID, 0, n)
	for range n {
		s.ids = append(s.ids, r.id())
	}
	s.anchor = r.key()
	s.count = r.uvarint()
	s.comp = r.uvarint()
	s.profile = r.str()
	return s, r.err
}

func encodeHashes(w *writer, hs []SetHash) {
	w.uvarint(uint64(len(hs)))
	for _, h := range hs {
		w.b = append(w.b, h[:]...)
	}
}

func decodeHashes(r *reader) []SetHash {
	n := r.count()
	hs := make([]SetHash, 0, n)
	for range n {
		hs = append(hs, r.setHash())
	}
	return hs
}

func (s *compState) encode() []byte {
	return s.appendTo(make([]byte, 0, 4+len(s.sets)*len(SetHash{})))
}

func (s *compState) appendTo(dst []byte) []byte {
	w := writer{b: dst[:0]}
	w.uvarint(stateVersion)
	if s.clean {
		w.uvarint(1)
	} else {
		w.uvarint(0)
	}
	encodeHashes(&w, s.sets)
	return w.b
}

func decodeComp(b []byte) (*compState, error) {
	r := reader{b: b}
	if r.uvarint() != stateVersion {
		r.fail()
	}
	clean := r.uvarint() == 1
	return &compState{clean: clean, sets: decodeHashes(&r)}, r.err
}

func (s *profileState) encode() []byte { return s.appendTo(nil) }

func (s *profileState) appendTo(dst []byte) []byte {
	w := writer{b: dst[:0]}
	w.uvarint(stateVersion)
	w.uvarint(s.comp)
	w.key(s.anchor)
	encodeHashes(&w, s.sets)
	w.uvarint(uint64(len(s.ids)))
	for _, id := range s.ids {
		w.id(id)
	}
	return w.b
}

func decodeProfile(b []byte) (*profileState, error) {
	r := reader{b: b}
	if r.uvarint() != stateVersion {
		r.fail()
	}
	s := &profileState{comp: r.uvarint(), anchor: r.key(), sets: decodeHashes(&r)}
	n := r.count()
	for range n {
		s.ids = append(s.ids, r.id())
	}
	return s, r.err
}

func (s *recordState) encode() []byte { return s.appendTo(nil) }

func (s *recordState) appendTo(dst []byte) []byte {
	w := writer{b: dst[:0]}
	w.uvarint(stateVersion)
	w.varint(s.time)
	w.b = append(w.b, s.set[:]...)
	return w.b
}

func decodeRecord(b []byte) (*recordState, error) {
	r := reader{b: b}
	if r.uvarint() != stateVersion {
		r.fail()
	}
	return &recordState{time: r.varint(), set: r.setHash()}, r.err
}
