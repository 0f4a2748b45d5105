package main

// Every SOAP answer passes here (see wrap). Freeze mode: the SOAP endpoint keeps accepting connections and reading requests but sends
// no answer (not even to requests already being served) until unfrozen or the client gives
// up, so client-side timeouts can be tested against a vCenter that hangs.

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
)

var (
	xsiDecl  = []byte(` xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance"`)
	xsiType  = []byte(`XMLSchema-instance:type="`)
	xsiShort = []byte(`xsi:type="`)
)

type freezer struct {
	mu     sync.Mutex
	frozen bool
	thaw   chan struct{} // closed on unfreeze
}

func newFreezer() *freezer { return &freezer{thaw: make(chan struct{})} }

func (f *freezer) set(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if on && !f.frozen {
		f.thaw = make(chan struct{})
	}
	if !on && f.frozen {
		close(f.thaw)
	}
	f.frozen = on
}

func (f *freezer) state() (bool, chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.frozen, f.thaw
}

// hold blocks while frozen; false if the client went away meanwhile.
func (f *freezer) hold(r *http.Request) bool {
	for {
		frozen, thaw := f.state()
		if !frozen {
			return true
		}
		select {
		case <-thaw:
		case <-r.Context().Done():
			return false
		}
	}
}

// bufferedWriter holds a response until it may be sent.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedWriter) WriteHeader(status int)      { b.status = status }

func (f *freezer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.hold(r) {
			return
		}
		buf := &bufferedWriter{header: w.Header(), status: http.StatusOK}
		next.ServeHTTP(buf, r)
		if !f.hold(r) {
			return
		}
		body := buf.body.Bytes()
		// Go's encoder writes xsi:type as a locally declared "XMLSchema-instance:type"; vCenter
		// writes xsi:type (xsi is declared on the envelope). Answer as vCenter does.
		if bytes.Contains(body, xsiType) {
			body = bytes.ReplaceAll(bytes.ReplaceAll(body, xsiDecl, nil), xsiType, xsiShort)
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(buf.status)
		_, _ = w.Write(body)
	})
}
