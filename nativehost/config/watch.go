package config

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/rjeczalik/notify"
)

// settle lets a burst of events (an editor writes a temp file, renames it over the old
// one, touches it again) end before the file is read once.
const settle = 100 * time.Millisecond

// Watch calls onChange after config.json in dir changes, until ctx ends. It watches the
// directory, not the file: editors and atomic writers replace the file, which would end
// a watch on the file itself.
func Watch(ctx context.Context, dir string, onChange func()) error {
	events := make(chan notify.EventInfo, 16)
	if err := notify.Watch(dir, events, notify.Create, notify.Write, notify.Rename, notify.Remove); err != nil {
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	go func() {
		defer notify.Stop(events)
		var timer <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-events:
				if filepath.Base(ev.Path()) == FileName {
					timer = time.After(settle)
				}
			case <-timer:
				timer = nil
				onChange()
			}
		}
	}()
	return nil
}

// FileName is the config file's name in its directory.
const FileName = "config.json"
