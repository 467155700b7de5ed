package host

import "sync"

// maxQueuedKeyRequests caps the dtmf requests waiting to be played.
const maxQueuedKeyRequests = 64

// maxQueuedSettings caps the settings requests (config_get, config_set, set_status)
// waiting for the ones before them.
const maxQueuedSettings = 16

// jobQueue runs jobs one after another, in the order they were added, on a goroutine
// of its own, so the read loop never waits for them. The dtmf requests use one: each
// is answered at once while its keys take 220 ms each, so two quick key presses are two
// requests in flight, and on their own goroutines they could swap places on the wire.
// The settings requests use another: saving and applying a config may take seconds
// (changed accounts unregister first), and a config_get must see the config_set sent
// before it.
type jobQueue struct {
	max  int   // jobs waiting at most
	full error // what add returns when max jobs wait

	mu      sync.Mutex
	pending []func()
	running bool
}

// add queues job behind the ones already waiting; it fails when the queue is full.
func (q *jobQueue) add(job func()) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) >= q.max {
		return q.full
	}
	q.pending = append(q.pending, job)
	if !q.running {
		q.running = true
		go q.run()
	}
	return nil
}

func (q *jobQueue) run() {
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		job := q.pending[0]
		q.pending = q.pending[1:]
		q.mu.Unlock()
		job()
	}
}
