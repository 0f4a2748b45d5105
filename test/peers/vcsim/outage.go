package main

// Outage: vCenter goes away and comes back with its inventory intact, as after a service
// restart. While down, the SOAP port refuses connections and open ones are cut; every
// session is gone on return (clients must log in again and resync), moids are unchanged.
// (Killing the process instead rebuilds the inventory from the spec.)

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
)

type outageState struct {
	mu   sync.Mutex
	down bool
	srv  *http.Server // our own server after the first recovery
}

func (l *Launcher) setOutage(on bool) error {
	o := &l.outage
	o.mu.Lock()
	defer o.mu.Unlock()
	if on == o.down {
		return nil
	}
	addr := l.server.Listener.Addr().String()
	if on {
		if o.srv != nil {
			_ = o.srv.Close()
			o.srv = nil
		} else {
			_ = l.server.Listener.Close()
			l.server.CloseClientConnections()
		}
		// Requests held by freeze would otherwise answer after the return.
		l.frozen.set(false)
		if _, err := l.killSessions(""); err != nil {
			return err
		}
		o.down = true
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s again: %w", addr, err)
	}
	srv := &http.Server{Handler: l.server.Config.Handler}
	go func() { _ = srv.Serve(tls.NewListener(ln, l.server.TLS)) }()
	o.srv = srv
	o.down = false
	return nil
}
