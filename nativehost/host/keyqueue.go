package host

import "sync"

// maxQueuedKeyRequests caps the dtmf requests waiting to be played.
const maxQueuedKeyRequests = 64

// keyQueue plays dtmf requests one after another in the order they arrived. Each
// request is answered at once while its keys take 220 ms each, so two quick key
// presses are two requests in flight; on their own goroutines they could swap places
// on the wire.
type keyQueue struct {
	mu      sync.Mutex
	pending []func()
	running bool
}

// add queues job behind the ones already waiting; it fails when the queue is full.
func (q *keyQueue) add(job func()) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) >= maxQueuedKeyRequests {
		return errTooManyKeys
	}
	q.pending = append(q.pending, job)
	if !q.running {
		q.running = true
		go q.run()
	}
	return nil
}

func (q *keyQueue) run() {
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
