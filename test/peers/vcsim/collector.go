package main

// An incremental WaitForUpdatesEx for the simulator's PropertyCollector (opt-in: spec
// "collector": "incremental"). govmomi 0.24 re-collects every filter in full on every object
// change and answers on a 250 ms tick: at 10,000 VMs one vMotion costs each watching
// collector several whole-inventory collects, and delivery falls seconds behind. vCenter
// keeps per-filter state and sends what changed; so does this one:
//   - a change of an object the filter already reports: only the watched paths it touches
//     (equal, deeper or a parent of a watched path) are re-read, for that object alone;
//   - an object entering or leaving the registry, or a change on a traversal path
//     (ContainerView.view, Folder.childEntity…): the filter's membership is re-read
//     without properties, new members are read in full, gone ones leave;
//   - answers as soon as a change is queued (5 ms to let a burst gather), with versions
//     and maxObjectUpdates paging (truncated), as vCenter does.
// Everything else (filters, RetrievePropertiesEx, sessions) stays the simulator's own.

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type incrementalCollector struct {
	simulator.PropertyCollector

	waitMu     sync.Mutex // one WaitForUpdatesEx at a time (the simulator does not lock collectors)
	mu         sync.Mutex // guards the fields below; never held while reading objects
	registered bool
	pending    []types.ObjectUpdate
	wake       chan struct{}
	cancel     context.CancelFunc
	known      map[types.ManagedObjectReference]map[types.ManagedObjectReference]bool // filter -> members
	outbox     []types.PropertyFilterUpdate
	version    int
}

// useIncrementalCollector makes every session's PropertyCollector (the singleton's per-session
// copies and CreatePropertyCollector's) an incrementalCollector.
func useIncrementalCollector(c *types.ServiceContent) {
	pc := &incrementalCollector{}
	pc.Self = c.PropertyCollector
	simulator.Map.Put(pc)
}

func (pc *incrementalCollector) init() {
	if pc.wake == nil {
		pc.wake = make(chan struct{}, 1)
		pc.known = map[types.ManagedObjectReference]map[types.ManagedObjectReference]bool{}
	}
}

func (pc *incrementalCollector) queue(u types.ObjectUpdate) {
	pc.mu.Lock()
	pc.init()
	pc.pending = append(pc.pending, u)
	pc.mu.Unlock()
	select {
	case pc.wake <- struct{}{}:
	default:
	}
}

// RegisterObject: called synchronously by whoever changes the registry; only queue.
func (pc *incrementalCollector) PutObject(o mo.Reference) {
	pc.queue(types.ObjectUpdate{Obj: o.Reference(), Kind: types.ObjectUpdateKindEnter})
}

func (pc *incrementalCollector) UpdateObject(o mo.Reference, changes []types.PropertyChange) {
	names := make([]types.PropertyChange, len(changes))
	for i, c := range changes {
		names[i] = types.PropertyChange{Name: c.Name} // values are re-read when sent
	}
	pc.queue(types.ObjectUpdate{Obj: o.Reference(), Kind: types.ObjectUpdateKindModify, ChangeSet: names})
}

func (pc *incrementalCollector) RemoveObject(ref types.ManagedObjectReference) {
	pc.queue(types.ObjectUpdate{Obj: ref, Kind: types.ObjectUpdateKindLeave})
}

func (pc *incrementalCollector) CreatePropertyCollector(ctx *simulator.Context, c *types.CreatePropertyCollector) soap.HasFault {
	cpc := &incrementalCollector{}
	cpc.Self.Type = "PropertyCollector" // else the registry names it after our Go type
	return &methods.CreatePropertyCollectorBody{Res: &types.CreatePropertyCollectorResponse{
		Returnval: ctx.Session.Put(cpc).Reference(),
	}}
}

func (pc *incrementalCollector) CancelWaitForUpdates(r *types.CancelWaitForUpdates) soap.HasFault {
	pc.mu.Lock()
	if pc.cancel != nil {
		pc.cancel()
	}
	pc.mu.Unlock()
	return &methods.CancelWaitForUpdatesBody{Res: new(types.CancelWaitForUpdatesResponse)}
}

func (pc *incrementalCollector) DestroyPropertyCollector(ctx *simulator.Context, c *types.DestroyPropertyCollector) soap.HasFault {
	pc.CancelWaitForUpdates(nil)
	return pc.PropertyCollector.DestroyPropertyCollector(ctx, c)
}

func (pc *incrementalCollector) retrieve(ctx *simulator.Context, spec types.PropertyFilterSpec) ([]types.ObjectContent, types.BaseMethodFault) {
	res := pc.PropertyCollector.RetrievePropertiesEx(ctx, &types.RetrievePropertiesEx{SpecSet: []types.PropertyFilterSpec{spec}})
	if f := res.Fault(); f != nil {
		return nil, f.VimFault().(types.BaseMethodFault)
	}
	body := res.(*methods.RetrievePropertiesExBody)
	if body.Res == nil || body.Res.Returnval == nil {
		return nil, nil
	}
	return body.Res.Returnval.Objects, nil
}

func enterUpdate(o types.ObjectContent) types.ObjectUpdate {
	u := types.ObjectUpdate{Obj: o.Obj, Kind: types.ObjectUpdateKindEnter}
	for _, p := range o.PropSet {
		u.ChangeSet = append(u.ChangeSet, types.PropertyChange{Name: p.Name, Op: types.PropertyChangeOpAssign, Val: p.Val})
	}
	return u
}

// typeMatches: the spec's type is the object's, or one it embeds (ManagedEntity, Network…).
func typeMatches(ref types.ManagedObjectReference, specType string) bool {
	if specType == ref.Type {
		return true
	}
	obj := simulator.Map.Get(ref)
	if obj == nil {
		return false
	}
	t := reflect.TypeOf(obj).Elem()
	if t.Name() == specType {
		return true
	}
	f, ok := t.FieldByName(specType)
	return ok && f.Anonymous
}

func traversalPaths(specs []types.BaseSelectionSpec, out map[string]bool) {
	for _, s := range specs {
		if ts, ok := s.(*types.TraversalSpec); ok {
			out[ts.Path] = true
			traversalPaths(ts.SelectSet, out)
		}
	}
}

// touched lists the watched paths a change affects.
func touched(paths []string, change string) []string {
	var out []string
	for _, p := range paths {
		if change == p || strings.HasPrefix(change, p+".") || strings.HasPrefix(p, change+".") {
			out = append(out, p)
		}
	}
	return out
}

// process turns queued registry changes into one filter's updates.
func (pc *incrementalCollector) process(ctx *simulator.Context, ref types.ManagedObjectReference, spec types.PropertyFilterSpec,
	members map[types.ManagedObjectReference]bool, raw []types.ObjectUpdate) ([]types.ObjectUpdate, types.BaseMethodFault) {
	travPaths := map[string]bool{}
	for _, o := range spec.ObjectSet {
		traversalPaths(o.SelectSet, travPaths)
	}
	watchesType := func(obj types.ManagedObjectReference) bool {
		for _, p := range spec.PropSet {
			if typeMatches(obj, p.Type) {
				return true
			}
		}
		return false
	}
	structural := false
	var out []types.ObjectUpdate
	modified := map[types.ManagedObjectReference]map[string]bool{}
	var order []types.ManagedObjectReference
	for _, u := range raw {
		switch u.Kind {
		case types.ObjectUpdateKindEnter:
			if watchesType(u.Obj) {
				structural = true
			}
		case types.ObjectUpdateKindLeave:
			if members[u.Obj] {
				delete(members, u.Obj)
				delete(modified, u.Obj)
				out = append(out, types.ObjectUpdate{Obj: u.Obj, Kind: types.ObjectUpdateKindLeave})
			}
		case types.ObjectUpdateKindModify:
			for _, c := range u.ChangeSet {
				if travPaths[c.Name] || travPaths[strings.SplitN(c.Name, ".", 2)[0]] {
					structural = true
				}
			}
			if !members[u.Obj] {
				continue
			}
			for _, p := range spec.PropSet {
				if !typeMatches(u.Obj, p.Type) {
					continue
				}
				for _, c := range u.ChangeSet {
					for _, path := range touched(p.PathSet, c.Name) {
						if modified[u.Obj] == nil {
							modified[u.Obj] = map[string]bool{}
							order = append(order, u.Obj)
						}
						modified[u.Obj][path] = true
					}
					if isTrueBool(p.All) {
						if modified[u.Obj] == nil {
							modified[u.Obj] = map[string]bool{}
							order = append(order, u.Obj)
						}
						modified[u.Obj]["*"] = true
					}
				}
			}
		}
	}
	for _, obj := range order {
		paths := modified[obj]
		if paths == nil || !members[obj] {
			continue
		}
		ps := types.PropertySpec{Type: obj.Type}
		if paths["*"] {
			ps.All = types.NewBool(true)
		} else {
			for p := range paths {
				ps.PathSet = append(ps.PathSet, p)
			}
		}
		objs, fault := pc.retrieve(ctx, types.PropertyFilterSpec{
			ObjectSet: []types.ObjectSpec{{Obj: obj}},
			PropSet:   []types.PropertySpec{ps},
		})
		if fault != nil {
			if _, gone := fault.(*types.ManagedObjectNotFound); gone {
				continue // left meanwhile; its Leave follows
			}
			return nil, fault
		}
		for _, o := range objs {
			u := enterUpdate(o)
			u.Kind = types.ObjectUpdateKindModify
			if len(u.ChangeSet) > 0 {
				out = append(out, u)
			}
		}
	}
	if structural {
		// Membership only: the same object set, no properties.
		bare := types.PropertyFilterSpec{ObjectSet: spec.ObjectSet}
		for _, p := range spec.PropSet {
			bare.PropSet = append(bare.PropSet, types.PropertySpec{Type: p.Type})
		}
		objs, fault := pc.retrieve(ctx, bare)
		if fault != nil {
			return nil, fault
		}
		now := map[types.ManagedObjectReference]bool{}
		var fresh []types.ManagedObjectReference
		for _, o := range objs {
			now[o.Obj] = true
			if !members[o.Obj] {
				fresh = append(fresh, o.Obj)
			}
		}
		for obj := range members {
			if !now[obj] {
				delete(members, obj)
				out = append(out, types.ObjectUpdate{Obj: obj, Kind: types.ObjectUpdateKindLeave})
			}
		}
		for _, obj := range fresh {
			var props []types.PropertySpec
			for _, p := range spec.PropSet {
				if typeMatches(obj, p.Type) {
					props = append(props, p)
				}
			}
			objs, fault := pc.retrieve(ctx, types.PropertyFilterSpec{ObjectSet: []types.ObjectSpec{{Obj: obj}}, PropSet: props})
			if fault != nil {
				continue
			}
			for _, o := range objs {
				members[o.Obj] = true
				out = append(out, enterUpdate(o))
			}
		}
	}
	return out, nil
}

func isTrueBool(b *bool) bool { return b != nil && *b }

func (pc *incrementalCollector) WaitForUpdatesEx(ctx *simulator.Context, r *types.WaitForUpdatesEx) soap.HasFault {
	pc.waitMu.Lock()
	defer pc.waitMu.Unlock()
	body := &methods.WaitForUpdatesExBody{}
	wait, cancel := context.WithCancel(context.Background())
	defer cancel()
	oneShot := false
	maxObjects := 0
	if r.Options != nil {
		if max := r.Options.MaxWaitSeconds; max != nil {
			oneShot = *max == 0
			if *max > 0 {
				wait, cancel = context.WithTimeout(wait, time.Duration(*max)*time.Second)
				defer cancel()
			}
		}
		maxObjects = int(r.Options.MaxObjectUpdates)
	}
	pc.mu.Lock()
	pc.init()
	pc.cancel = cancel
	if !pc.registered {
		// Register before the first read so no change falls between read and watch.
		pc.registered = true
		pc.mu.Unlock()
		ctx.Map.AddHandler(pc)
		pc.mu.Lock()
	}
	if r.Version == "" {
		pc.known = map[types.ManagedObjectReference]map[types.ManagedObjectReference]bool{}
		pc.outbox = nil
		pc.pending = nil
	}
	pc.mu.Unlock()

	for {
		// Pages left from the last answer go first.
		if set := pc.page(maxObjects); set != nil {
			body.Res = &types.WaitForUpdatesExResponse{Returnval: set}
			return body
		}
		if err := pc.collectChanges(ctx); err != nil {
			body.Fault_ = simulator.Fault("", err)
			return body
		}
		if set := pc.page(maxObjects); set != nil {
			body.Res = &types.WaitForUpdatesExResponse{Returnval: set}
			return body
		}
		if oneShot {
			body.Res = &types.WaitForUpdatesExResponse{}
			return body
		}
		select {
		case <-wait.Done():
			if wait.Err() == context.Canceled {
				body.Fault_ = simulator.Fault("", new(types.RequestCanceled))
				return body
			}
			body.Res = &types.WaitForUpdatesExResponse{}
			return body
		case <-pc.wake:
			time.Sleep(5 * time.Millisecond) // let a burst of changes gather
		}
	}
}

// collectChanges reads new filters in full and turns queued changes into the outbox.
func (pc *incrementalCollector) collectChanges(ctx *simulator.Context) types.BaseMethodFault {
	pc.mu.Lock()
	raw := pc.pending
	pc.pending = nil
	filters := append([]types.ManagedObjectReference(nil), pc.Filter...)
	pc.mu.Unlock()

	var updates []types.PropertyFilterUpdate
	for _, ref := range filters {
		f, ok := ctx.Session.Get(ref).(*simulator.PropertyFilter)
		if !ok {
			continue
		}
		pc.mu.Lock()
		members, seen := pc.known[ref]
		if !seen {
			members = map[types.ManagedObjectReference]bool{}
			pc.known[ref] = members
		}
		pc.mu.Unlock()
		fu := types.PropertyFilterUpdate{Filter: ref}
		if !seen {
			objs, fault := pc.retrieve(ctx, f.Spec)
			if fault != nil {
				return fault
			}
			for _, o := range objs {
				members[o.Obj] = true
				fu.ObjectSet = append(fu.ObjectSet, enterUpdate(o))
			}
		} else if len(raw) > 0 {
			out, fault := pc.process(ctx, ref, f.Spec, members, raw)
			if fault != nil {
				return fault
			}
			fu.ObjectSet = out
		}
		if len(fu.ObjectSet) > 0 {
			updates = append(updates, fu)
		}
	}
	pc.mu.Lock()
	pc.outbox = append(pc.outbox, updates...)
	pc.mu.Unlock()
	return nil
}

// page takes up to maxObjects object updates (0: all) from the outbox as one UpdateSet.
func (pc *incrementalCollector) page(maxObjects int) *types.UpdateSet {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if len(pc.outbox) == 0 {
		return nil
	}
	set := &types.UpdateSet{}
	n := 0
	for len(pc.outbox) > 0 {
		fu := &pc.outbox[0]
		take := len(fu.ObjectSet)
		if maxObjects > 0 && n+take > maxObjects {
			take = maxObjects - n
		}
		if take == 0 {
			break
		}
		set.FilterSet = append(set.FilterSet, types.PropertyFilterUpdate{Filter: fu.Filter, ObjectSet: fu.ObjectSet[:take]})
		n += take
		if take == len(fu.ObjectSet) {
			pc.outbox = pc.outbox[1:]
		} else {
			fu.ObjectSet = fu.ObjectSet[take:]
		}
	}
	if len(pc.outbox) > 0 {
		set.Truncated = types.NewBool(true)
	}
	pc.version++
	set.Version = strconv.Itoa(pc.version)
	return set
}

// WaitForUpdates (deprecated, still used by some clients) over the same state; the
// simulator's own would register the embedded collector and starve this one.
func (pc *incrementalCollector) WaitForUpdates(ctx *simulator.Context, r *types.WaitForUpdates) soap.HasFault {
	body := &methods.WaitForUpdatesBody{}
	res := pc.WaitForUpdatesEx(ctx, &types.WaitForUpdatesEx{This: r.This, Version: r.Version})
	if f := res.Fault(); f != nil {
		body.Fault_ = f
		return body
	}
	set := res.(*methods.WaitForUpdatesExBody).Res.Returnval
	if set == nil {
		set = &types.UpdateSet{Version: r.Version}
	}
	body.Res = &types.WaitForUpdatesResponse{Returnval: *set}
	return body
}
