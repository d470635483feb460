package gen

import (
	"bufio"
	"io"
	"iter"

	"github.com/unifycdp/unify/profile"
)

// WriteJSONLines writes the records of seq to w in the JSON lines import
// format, one record per line as profile's AppendJSON encodes it (the
// person indexes are not written). It returns how many records it wrote
// and the first error of encoding or writing.
func WriteJSONLines(w io.Writer, seq iter.Seq2[*profile.Record, int]) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	n := 0
	for r := range seq {
		var err error
		line, err = r.AppendJSON(line[:0])
		if err != nil {
			return n, err
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return n, err
		}
		n++
	}
	return n, bw.Flush()
}
