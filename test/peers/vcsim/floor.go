package main

// The simulator's own delivery floor: a bare govmomi client, logged in over HTTPS like any
// other, watching VirtualMachine runtime.host with WaitForUpdatesEx. Every relocate the
// control endpoint performs registers (vm, destination, t0 = the RelocateVM_Task call);
// the sample is the delay until this client sees runtime.host change to the destination.

import (
	"context"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

type floorSample struct {
	VM   string  `json:"vm"`
	Host string  `json:"host"`
	Ms   float64 `json:"ms"`
}

type pendingMove struct {
	host string
	t0   time.Time
}

type floorWatcher struct {
	mu      sync.Mutex
	pending map[string]pendingMove
	samples []floorSample
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
}

func (f *floorWatcher) expect(vm, host string, t0 time.Time) {
	f.mu.Lock()
	f.pending[vm] = pendingMove{host: host, t0: t0}
	f.mu.Unlock()
}

func (f *floorWatcher) seen(vm, host string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pending[vm]
	if !ok || p.host != host {
		return
	}
	delete(f.pending, vm)
	f.samples = append(f.samples, floorSample{VM: vm, Host: host, Ms: float64(at.Sub(p.t0).Microseconds()) / 1000})
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted)-1) + 0.5)
	return sorted[i]
}

type floorReport struct {
	Running bool          `json:"running"`
	Error   string        `json:"error,omitempty"`
	Count   int           `json:"count"`
	Pending int           `json:"pending"`
	P50     float64       `json:"p50"`
	P99     float64       `json:"p99"`
	Samples []floorSample `json:"samples"`
}

func (f *floorWatcher) report(reset bool) floorReport {
	f.mu.Lock()
	defer f.mu.Unlock()
	ms := make([]float64, 0, len(f.samples))
	for _, s := range f.samples {
		ms = append(ms, s.Ms)
	}
	sort.Float64s(ms)
	r := floorReport{Running: true, Count: len(ms), Pending: len(f.pending), P50: percentile(ms, 0.5), P99: percentile(ms, 0.99),
		Samples: append([]floorSample{}, f.samples...)}
	select {
	case <-f.done:
		r.Running = false
	default:
	}
	if f.err != nil {
		r.Error = f.err.Error()
	}
	if reset {
		f.samples = nil
	}
	return r
}

func (l *Launcher) floorWatcher() *floorWatcher {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.floor
}

// startFloor logs a bare client in and starts watching; a no-op when already running.
// props is the filter's property set by type (default VirtualMachine runtime.host): give the
// agent's own set to make the floor pay the same simulator cost per update as the agent.
func (l *Launcher) startFloor(props map[string][]string) error {
	if f := l.floorWatcher(); f != nil {
		select {
		case <-f.done: // died (e.g. an outage): start a fresh one
		default:
			return nil
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	u := *l.server.URL
	u.User = url.UserPassword(l.spec.Username, l.spec.Password)
	c, err := govmomi.NewClient(ctx, &u, true)
	if err != nil {
		cancel()
		return err
	}
	if s, err := c.SessionManager.UserSession(ctx); err == nil && s != nil {
		l.mu.Lock()
		l.ownKeys[s.Key] = true
		l.mu.Unlock()
	}
	if props == nil {
		props = map[string][]string{}
	}
	if !contains(props["VirtualMachine"], "runtime.host") {
		props["VirtualMachine"] = append(props["VirtualMachine"], "runtime.host")
	}
	var kinds []string
	var propSet []types.PropertySpec
	for kind, paths := range props {
		kinds = append(kinds, kind)
		propSet = append(propSet, types.PropertySpec{Type: kind, PathSet: paths})
	}
	sort.Strings(kinds)
	v, err := view.NewManager(c.Client).CreateContainerView(ctx, c.ServiceContent.RootFolder, kinds, true)
	if err != nil {
		cancel()
		return err
	}
	pc, err := property.DefaultCollector(c.Client).Create(ctx)
	if err != nil {
		cancel()
		return err
	}
	err = pc.CreateFilter(ctx, types.CreateFilter{Spec: types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: v.Reference(), Skip: types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}}}},
		PropSet: propSet,
	}})
	if err != nil {
		cancel()
		return err
	}
	f := &floorWatcher{pending: map[string]pendingMove{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		version := ""
		wait := int32(5)
		for ctx.Err() == nil {
			r, err := methods.WaitForUpdatesEx(ctx, c.Client, &types.WaitForUpdatesEx{This: pc.Reference(), Version: version,
				Options: &types.WaitOptions{MaxWaitSeconds: &wait}})
			if err != nil {
				if ctx.Err() == nil {
					f.mu.Lock()
					f.err = err
					f.mu.Unlock()
				}
				return
			}
			res := r.Returnval
			if res == nil {
				continue
			}
			now := time.Now()
			version = res.Version
			for _, fs := range res.FilterSet {
				for _, o := range fs.ObjectSet {
					for _, ch := range o.ChangeSet {
						if ref, ok := ch.Val.(types.ManagedObjectReference); ok && ch.Name == "runtime.host" {
							f.seen(o.Obj.Value, ref.Value, now)
						}
					}
				}
			}
		}
		_ = pc.Destroy(context.Background())
		_ = c.Logout(context.Background())
	}()
	l.mu.Lock()
	l.floor = f
	l.mu.Unlock()
	return nil
}

func (l *Launcher) stopFloor() {
	f := l.floorWatcher()
	if f == nil {
		return
	}
	f.cancel()
	select {
	case <-f.done:
	case <-time.After(2 * time.Second):
	}
	l.mu.Lock()
	l.floor = nil
	l.mu.Unlock()
}
