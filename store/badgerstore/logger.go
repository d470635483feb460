package badgerstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// logger routes Badger's log messages to slog. Messages below min are
// dropped.
type logger struct {
	l   *slog.Logger
	min slog.Level
}

func newLogger(l *slog.Logger) badger.Logger {
	if l == nil {
		return &logger{l: slog.Default(), min: slog.LevelWarn}
	}
	return &logger{l: l, min: slog.LevelDebug}
}

func (l *logger) log(level slog.Level, format string, args []any) {
	if level < l.min || !l.l.Enabled(context.Background(), level) {
		return
	}
	l.l.Log(context.Background(), level, strings.TrimSpace(fmt.Sprintf(format, args...)), "component", "badger")
}

func (l *logger) Errorf(f string, a ...any)   { l.log(slog.LevelError, f, a) }
func (l *logger) Warningf(f string, a ...any) { l.log(slog.LevelWarn, f, a) }
func (l *logger) Infof(f string, a ...any)    { l.log(slog.LevelInfo, f, a) }
func (l *logger) Debugf(f string, a ...any)   { l.log(slog.LevelDebug, f, a) }
