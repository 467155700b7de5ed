package host

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestJobQueueKeepsTheOrderOfRequests(t *testing.T) {
	q := jobQueue{max: maxQueuedKeyRequests, full: errTooManyKeys}
	var mu sync.Mutex
	var got []int
	done := make(chan struct{})
	release := make(chan struct{})
	for i := 0; i < 20; i++ {
		i := i
		if err := q.add(func() {
			if i == 0 {
				<-release // the first job is slow: the others wait behind it
			}
			mu.Lock()
			got = append(got, i)
			n := len(got)
			mu.Unlock()
			if n == 20 {
				close(done)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the queued jobs did not all run")
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("jobs ran in the order %v", got)
		}
	}
}

func TestJobQueueIsBounded(t *testing.T) {
	q := jobQueue{max: maxQueuedKeyRequests, full: errTooManyKeys}
	release := make(chan struct{})
	defer close(release)
	if err := q.add(func() { <-release }); err != nil {
		t.Fatal(err)
	}
	// The first job may or may not have been taken off the queue yet: fill past the cap.
	var err error
	for i := 0; i <= maxQueuedKeyRequests && err == nil; i++ {
		err = q.add(func() {})
	}
	if !errors.Is(err, errTooManyKeys) {
		t.Fatalf("a full queue took more: %v", err)
	}
}
