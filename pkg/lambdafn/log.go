package lambdafn

import (
	"log/slog"
	"os"
)

// Logger returns the functions' structured JSON logger (CloudWatch Logs parses it), at the
// configured level.
func Logger(cfg Config) *slog.Logger {
	var level slog.Level
	switch cfg.LogLevel {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
}
