package store

import "context"

// NewWriter returns a Batch for a bulk load into s: the store's own when it
// implements BatchWriter, otherwise one that commits every 1000 writes in a
// transaction, retried on conflicts (NewTxnBatch). Either way the caller
// may reuse the slices it passes to Set as soon as Set returns.
func NewWriter(ctx context.Context, s Store) (Batch, error) {
	if bw, ok := s.(BatchWriter); ok {
		return bw.NewBatch(ctx)
	}
	return NewTxnBatch(ctx, s, 0), nil
}

// NewTxnBatch returns a Batch over plain transactions that commits every
// size writes (0 means 1000), for stores without a batch writer of their
// own. Like every batch it is not isolated: its writes become visible a
// chunk at a time.
func NewTxnBatch(ctx context.Context, s Store, size int) Batch {
	if size <= 0 {
		size = 1000
	}
	return &txnBatch{ctx: ctx, s: s, size: size}
}

type txnBatch struct {
	ctx  context.Context
	s    Store
	size int
	keys [][]byte
	vals [][]byte // nil: delete
	done bool
}

func (b *txnBatch) Set(key, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	return b.add(Copy(key), Copy(value))
}

func (b *txnBatch) Delete(key []byte) error { return b.add(Copy(key), nil) }

func (b *txnBatch) add(k, v []byte) error {
	if b.done {
		return ErrTxnDone
	}
	if len(k) == 0 {
		return ErrEmptyKey
	}
	b.keys, b.vals = append(b.keys, k), append(b.vals, v)
	if len(b.keys) >= b.size {
		return b.commit()
	}
	return nil
}

func (b *txnBatch) commit() error {
	if len(b.keys) == 0 {
		return nil
	}
	err := Retry(b.ctx, b.s, func(tx Tx) error {
		for i, k := range b.keys {
			var err error
			if b.vals[i] == nil {
				err = tx.Delete(k)
			} else {
				err = tx.Set(k, b.vals[i])
			}
			if err != nil {
				return err
			}
		}
		return nil
	}, RetryOptions{})
	b.keys, b.vals = b.keys[:0], b.vals[:0]
	return err
}

func (b *txnBatch) Flush() error {
	if b.done {
		return ErrTxnDone
	}
	b.done = true
	return b.commit()
}

func (b *txnBatch) Cancel() {
	b.done = true
	b.keys, b.vals = nil, nil
}
