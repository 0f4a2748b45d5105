package main

// Runtime changes a test asks for, each mending what the simulator would otherwise get wrong
// (DESIGN §7): migration events around RelocateVM_Task, HostSystem.vm, per-host VLANs.

import (
	"fmt"
	"os"
	"reflect"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

func epochMs(t time.Time) float64 { return float64(t.UnixNano()) / 1e6 }

// resolveVM accepts a VM name or moid.
func (l *Launcher) resolveVM(id string) (types.ManagedObjectReference, error) {
	l.mu.Lock()
	ref, ok := l.vms[id]
	l.mu.Unlock()
	if ok {
		return ref, nil
	}
	ref = types.ManagedObjectReference{Type: "VirtualMachine", Value: id}
	if l.vmMO(ref) != nil {
		return ref, nil
	}
	return ref, fmt.Errorf("unknown VM %q", id)
}

// resolveHost accepts a host name or moid.
func (l *Launcher) resolveHost(id string) (types.ManagedObjectReference, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ref, ok := l.hosts[id]; ok {
		return ref, nil
	}
	for _, ref := range l.hosts {
		if ref.Value == id {
			return ref, nil
		}
	}
	return types.ManagedObjectReference{}, fmt.Errorf("unknown host %q", id)
}

func (l *Launcher) hostArg(ref types.ManagedObjectReference) *types.HostEventArgument {
	l.mu.Lock()
	name := l.hostName[ref]
	l.mu.Unlock()
	return &types.HostEventArgument{Host: ref, EntityEventArgument: types.EntityEventArgument{Name: name}}
}

// vmEvent is the VmEvent base a real vCenter fills: datacenter, cluster, host, VM.
func (l *Launcher) vmEvent(vm, host types.ManagedObjectReference) types.VmEvent {
	name := vm.Value
	if v := vmMO(vm); v != nil {
		simulator.Map.WithLock(v, func() { name = v.Name })
	}
	l.mu.Lock()
	cl := l.hostCluster[host]
	l.mu.Unlock()
	var cr *types.ComputeResourceEventArgument
	if cl != nil {
		cr = &types.ComputeResourceEventArgument{ComputeResource: cl.ref, EntityEventArgument: types.EntityEventArgument{Name: cl.name}}
	}
	return types.VmEvent{Event: types.Event{
		Datacenter:      &types.DatacenterEventArgument{Datacenter: l.dc, EntityEventArgument: types.EntityEventArgument{Name: l.dcName}},
		ComputeResource: cr,
		Host:            l.hostArg(host),
		Vm:              &types.VmEventArgument{Vm: vm, EntityEventArgument: types.EntityEventArgument{Name: name}},
	}}
}

func (l *Launcher) postEvent(e types.BaseEvent) error {
	_, err := methods.PostEvent(l.ctx, l.c, &types.PostEvent{This: *l.c.ServiceContent.EventManager, EventToPost: e})
	return err
}

func (l *Launcher) vmHost(vm types.ManagedObjectReference) (types.ManagedObjectReference, error) {
	v := l.vmMO(vm)
	if v == nil {
		return types.ManagedObjectReference{}, fmt.Errorf("unknown VM %s", vm.Value)
	}
	var host types.ManagedObjectReference
	simulator.Map.WithLock(v, func() { host = *v.Runtime.Host })
	return host, nil
}

type relocateResult struct {
	VM        string  `json:"vm"`
	From      string  `json:"from"`
	To        string  `json:"to"`
	StartedAt float64 `json:"startedAt"`         // epoch ms, start event posted
	MovedAt   float64 `json:"movedAt,omitempty"` // epoch ms, RelocateVM_Task called (floor t0)
	DoneAt    float64 `json:"doneAt,omitempty"`  // epoch ms, end event posted
}

// relocate is a vMotion as vCenter shows it: VmBeingHotMigratedEvent (destHost) first, then
// runtime.host and both hosts' HostSystem.vm, then VmMigratedEvent (sourceHost). With
// startOnly the move happens delayMs after the start event, in the background. direct skips
// RelocateVM_Task (see moveDirect); watchers see the same VM, host and event changes.
func (l *Launcher) relocate(vm, dst types.ManagedObjectReference, startOnly bool, delayMs int, direct bool) (*relocateResult, error) {
	src, err := l.vmHost(vm)
	if err != nil {
		return nil, err
	}
	res := &relocateResult{VM: vm.Value, From: src.Value, To: dst.Value}
	start := &types.VmBeingHotMigratedEvent{VmEvent: l.vmEvent(vm, src), DestHost: *l.hostArg(dst)}
	start.FullFormattedMessage = fmt.Sprintf("Migrating %s from %s to %s in %s", start.Vm.Name, start.Host.Name, start.DestHost.Name, l.dcName)
	if err := l.postEvent(start); err != nil {
		return nil, err
	}
	res.StartedAt = epochMs(time.Now())
	move := func() error {
		if delayMs > 0 {
			time.Sleep(time.Duration(delayMs) * time.Millisecond)
		}
		return l.move(vm, src, dst, direct, res)
	}
	if startOnly {
		go func() {
			defer func() {
				if p := recover(); p != nil {
					fmt.Fprintf(os.Stderr, "vcsim: relocate %s: %v\n", vm.Value, p)
				}
			}()
			if err := move(); err != nil {
				fmt.Fprintf(os.Stderr, "vcsim: relocate %s: %v\n", vm.Value, err)
			}
		}()
		return res, nil
	}
	return res, move()
}

// moveDirect changes runtime.host as RelocateVM_Task does, in one property update and
// without a Task object: each object change costs every watching PropertyCollector a full
// re-collect in the simulator, so at 10k VMs fewer changes mean a much lower floor.
func (l *Launcher) moveDirect(vm, dst types.ManagedObjectReference, pool *types.ManagedObjectReference) {
	v := vmMO(vm)
	var oldPool *types.ManagedObjectReference
	simulator.Map.WithLock(v, func() {
		host := dst
		v.Runtime.Host = &host
		v.Summary.Runtime.Host = &host
		changes := []types.PropertyChange{
			{Name: "runtime.host", Val: dst},
			{Name: "summary.runtime.host", Val: dst},
		}
		if pool != nil {
			oldPool = v.ResourcePool
			v.ResourcePool = pool
			changes = append(changes, types.PropertyChange{Name: "resourcePool", Val: *pool})
		}
		simulator.Map.Update(v, changes)
	})
	if pool != nil && oldPool != nil {
		if rp, ok := simulator.Map.Get(*oldPool).(*simulator.ResourcePool); ok {
			simulator.Map.WithLock(rp, func() { simulator.RemoveReference(&rp.Vm, vm) })
		}
		if rp, ok := simulator.Map.Get(*pool).(*simulator.ResourcePool); ok {
			simulator.Map.WithLock(rp, func() { rp.Vm = append(rp.Vm, vm) })
		}
	}
}

func (l *Launcher) move(vm, src, dst types.ManagedObjectReference, direct bool, res *relocateResult) error {
	t0 := time.Now()
	res.MovedAt = epochMs(t0)
	if f := l.floorWatcher(); f != nil {
		f.expect(vm.Value, dst.Value, t0)
	}
	var pool *types.ManagedObjectReference
	l.mu.Lock()
	if sc, dc := l.hostCluster[src], l.hostCluster[dst]; sc != nil && dc != nil && sc != dc {
		p := dc.pool // across clusters a vMotion changes the resource pool too
		pool = &p
	}
	l.mu.Unlock()
	if direct {
		l.moveDirect(vm, dst, pool)
	} else {
		task, err := methods.RelocateVM_Task(l.ctx, l.c, &types.RelocateVM_Task{This: vm, Spec: types.VirtualMachineRelocateSpec{Host: &dst, Pool: pool}})
		if err != nil {
			return err
		}
		if _, err := taskResult(task.Returnval, nil); err != nil {
			return err
		}
	}
	if src != dst {
		sh, dh := hostMO(src), hostMO(dst)
		simulator.Map.WithLock(sh, func() {
			simulator.RemoveReference(&sh.Vm, vm)
			simulator.Map.Update(sh, []types.PropertyChange{{Name: "vm", Val: append([]types.ManagedObjectReference(nil), sh.Vm...)}})
		})
		simulator.Map.WithLock(dh, func() {
			if simulator.FindReference(dh.Vm, vm) == nil {
				dh.Vm = append(dh.Vm, vm)
			}
			simulator.Map.Update(dh, []types.PropertyChange{{Name: "vm", Val: append([]types.ManagedObjectReference(nil), dh.Vm...)}})
		})
	}
	err := l.postEvent(&types.VmMigratedEvent{VmEvent: l.vmEvent(vm, dst), SourceHost: *l.hostArg(src)})
	res.DoneAt = epochMs(time.Now())
	return err
}

// setStandardVlan changes one standard portgroup's VLAN on the given hosts (all carrying it
// when hosts is empty), as an ESXi UpdatePortGroup would (the simulator lacks it).
func (l *Launcher) setStandardVlan(pgName string, hosts []string, vlan int) ([]string, error) {
	if vlan < 0 || vlan > 4095 {
		return nil, fmt.Errorf("vlan %d out of range", vlan)
	}
	l.mu.Lock()
	var targets []string
	for _, name := range l.hostOrder() {
		if len(hosts) > 0 && !contains(hosts, name) {
			continue
		}
		hs := l.hostSpecs[name]
		for _, pg := range l.spec.hostPortgroups(hs) {
			if pg.Name != pgName {
				continue
			}
			pg.Vlan, pg.Trunk, pg.Pvlan = intp(vlan), nil, nil
			replaced := false
			for i := range hs.Portgroups {
				if hs.Portgroups[i].Name == pgName {
					hs.Portgroups[i] = pg
					replaced = true
				}
			}
			if !replaced {
				hs.Portgroups = append(hs.Portgroups, pg)
			}
			targets = append(targets, name)
		}
	}
	l.mu.Unlock()
	if len(targets) == 0 {
		return nil, fmt.Errorf("no host carries standard portgroup %q", pgName)
	}
	for _, name := range targets {
		l.mu.Lock()
		ref := l.hosts[name]
		info := l.buildHostNetwork(name, l.spec.hostPortgroups(l.hostSpecs[name]))
		l.mu.Unlock()
		h := hostMO(ref)
		simulator.Map.WithLock(h, func() {
			h.Config.Network.Portgroup = info.Portgroup
			simulator.Map.Update(h, []types.PropertyChange{{Name: "config.network.portgroup", Val: info.Portgroup}})
		})
	}
	return targets, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// setDistributedVlan replaces a DVPG's VLAN spec (id, trunk ranges or private VLAN), and the
// DVS's PVLAN map when needed; the simulator's ReconfigureDVPortgroup tells no watcher.
func (l *Launcher) setDistributedVlan(pgName string, v VlanSpec) error {
	l.mu.Lock()
	info, ok := l.dvpgs[pgName]
	var sw *dvsInfo
	if ok {
		sw = l.switches[info.dvs]
	}
	l.mu.Unlock()
	if !ok || info.uplink {
		return fmt.Errorf("unknown distributed portgroup %q", pgName)
	}
	if v.Vlan == nil && v.Trunk == nil && v.Pvlan == nil {
		return fmt.Errorf("give vlan, trunk or pvlan")
	}
	if v.Pvlan != nil {
		s := simulator.Map.Get(sw.ref).(*simulator.DistributedVirtualSwitch)
		simulator.Map.WithLock(s, func() {
			cfg := s.Config.(*types.VMwareDVSConfigInfo)
			merged := pvlanMap([]PortgroupSpec{{VlanSpec: v}})
			for _, e := range merged {
				found := false
				for _, old := range cfg.PvlanConfig {
					if old.PrimaryVlanId == e.PrimaryVlanId && old.SecondaryVlanId == e.SecondaryVlanId {
						found = true
					}
				}
				if !found {
					cfg.PvlanConfig = append(cfg.PvlanConfig, e)
				}
			}
			simulator.Map.Update(s, []types.PropertyChange{{Name: "config.pvlanConfig", Val: cfg.PvlanConfig}})
		})
	}
	pg := simulator.Map.Get(info.ref).(*simulator.DistributedVirtualPortgroup)
	vlan := dvsVlan(v)
	simulator.Map.WithLock(pg, func() {
		setting := &types.VMwareDVSPortSetting{}
		if old, ok := pg.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting); ok {
			copy := *old
			setting = &copy
		}
		setting.Vlan = vlan
		pg.Config.DefaultPortConfig = setting
		simulator.Map.Update(pg, []types.PropertyChange{{Name: "config.defaultPortConfig.vlan", Val: vlan}})
	})
	return l.postEvent(&types.DVPortgroupReconfiguredEvent{DVPortgroupEvent: types.DVPortgroupEvent{Event: types.Event{
		Datacenter: &types.DatacenterEventArgument{Datacenter: l.dc, EntityEventArgument: types.EntityEventArgument{Name: l.dcName}},
		Net:        &types.NetworkEventArgument{Network: info.ref, EntityEventArgument: types.EntityEventArgument{Name: pgName}},
	}}})
}

// eventRequest is an arbitrary event a test wants posted: any vim25 Event type name, with
// the usual arguments filled by name (destHost / sourceHost set when the type has them).
type eventRequest struct {
	Type       string `json:"type"`
	VM         string `json:"vm,omitempty"`
	Host       string `json:"host,omitempty"`
	DestHost   string `json:"destHost,omitempty"`
	SourceHost string `json:"sourceHost,omitempty"`
	Message    string `json:"message,omitempty"`
}

func (l *Launcher) postArbitrary(req eventRequest) error {
	typ, ok := types.TypeFunc()(req.Type)
	if !ok {
		return fmt.Errorf("unknown type %q", req.Type)
	}
	val := reflect.New(typ)
	ev, ok := val.Interface().(types.BaseEvent)
	if !ok {
		return fmt.Errorf("%s is not an Event", req.Type)
	}
	e := ev.GetEvent()
	var host types.ManagedObjectReference
	if req.Host != "" {
		h, err := l.resolveHost(req.Host)
		if err != nil {
			return err
		}
		host = h
	}
	if req.VM != "" {
		vm, err := l.resolveVM(req.VM)
		if err != nil {
			return err
		}
		if req.Host == "" {
			if host, err = l.vmHost(vm); err != nil {
				return err
			}
		}
		base := l.vmEvent(vm, host)
		*e = base.Event
	} else if req.Host != "" {
		e.Host = l.hostArg(host)
		e.Datacenter = &types.DatacenterEventArgument{Datacenter: l.dc, EntityEventArgument: types.EntityEventArgument{Name: l.dcName}}
	}
	e.FullFormattedMessage = req.Message
	for field, id := range map[string]string{"DestHost": req.DestHost, "SourceHost": req.SourceHost} {
		if id == "" {
			continue
		}
		f := val.Elem().FieldByName(field)
		if !f.IsValid() {
			return fmt.Errorf("%s has no %s", req.Type, field)
		}
		ref, err := l.resolveHost(id)
		if err != nil {
			return err
		}
		arg := l.hostArg(ref)
		if f.Kind() == reflect.Ptr {
			f.Set(reflect.ValueOf(arg))
		} else {
			f.Set(reflect.ValueOf(*arg))
		}
	}
	return l.postEvent(ev)
}

type sessionInfo struct {
	Key            string  `json:"key"`
	UserName       string  `json:"userName"`
	IPAddress      string  `json:"ipAddress"`
	UserAgent      string  `json:"userAgent"`
	LoginTime      float64 `json:"loginTime"`
	LastActiveTime float64 `json:"lastActiveTime"`
}

// sessions lists the simulator's sessions (SessionManager.sessionList) but the launcher's own.
func (l *Launcher) sessions() ([]sessionInfo, error) {
	var sm struct {
		SessionList []types.UserSession `mo:"sessionList"`
	}
	ref := *l.c.ServiceContent.SessionManager
	res, err := methods.RetrievePropertiesEx(l.ctx, l.c, &types.RetrievePropertiesEx{
		This: l.c.ServiceContent.PropertyCollector,
		SpecSet: []types.PropertyFilterSpec{{
			ObjectSet: []types.ObjectSpec{{Obj: ref}},
			PropSet:   []types.PropertySpec{{Type: "SessionManager", PathSet: []string{"sessionList"}}},
		}},
	})
	if err != nil {
		return nil, err
	}
	if res.Returnval != nil {
		for _, o := range res.Returnval.Objects {
			for _, p := range o.PropSet {
				switch a := p.Val.(type) {
				case types.ArrayOfUserSession:
					sm.SessionList = a.UserSession
				case *types.ArrayOfUserSession:
					sm.SessionList = a.UserSession
				case []types.UserSession:
					sm.SessionList = a
				}
			}
		}
	}
	out := []sessionInfo{}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range sm.SessionList {
		if l.ownKeys[s.Key] {
			continue
		}
		out = append(out, sessionInfo{
			Key: s.Key, UserName: s.UserName, IPAddress: s.IpAddress, UserAgent: s.UserAgent,
			LoginTime: epochMs(s.LoginTime), LastActiveTime: epochMs(s.LastActiveTime),
		})
	}
	return out, nil
}

// killSessions terminates every session (of user, if given) but the launcher's own, so their
// next call fails NotAuthenticated.
func (l *Launcher) killSessions(user string) (int, error) {
	list, err := l.sessions()
	if err != nil {
		return 0, err
	}
	var ids []string
	for _, s := range list {
		if user == "" || s.UserName == user {
			ids = append(ids, s.Key)
		}
	}
	if len(ids) == 0 {
		return 0, nil
	}
	_, err = methods.TerminateSession(l.ctx, l.c, &types.TerminateSession{This: *l.c.ServiceContent.SessionManager, SessionId: ids})
	return len(ids), err
}

// setHostState changes a host's runtime.connectionState and/or maintenance mode, with the
// events vCenter posts (HostDisconnectedEvent/HostConnectedEvent, EnteredMaintenanceModeEvent/
// ExitMaintenanceModeEvent).
func (l *Launcher) setHostState(ref types.ManagedObjectReference, state string, maintenance *bool) error {
	h := hostMO(ref)
	var events []types.BaseEvent
	base := types.HostEvent{Event: types.Event{
		Datacenter: &types.DatacenterEventArgument{Datacenter: l.dc, EntityEventArgument: types.EntityEventArgument{Name: l.dcName}},
		Host:       l.hostArg(ref),
	}}
	var fault error
	simulator.Map.WithLock(h, func() {
		var changes []types.PropertyChange
		if state != "" {
			s := types.HostSystemConnectionState(state)
			switch s {
			case types.HostSystemConnectionStateConnected, types.HostSystemConnectionStateDisconnected, types.HostSystemConnectionStateNotResponding:
			default:
				fault = fmt.Errorf("connectionState %q: want connected, disconnected or notResponding", state)
				return
			}
			if h.Runtime.ConnectionState != s {
				h.Runtime.ConnectionState = s
				changes = append(changes,
					types.PropertyChange{Name: "runtime.connectionState", Val: s},
					types.PropertyChange{Name: "summary.runtime.connectionState", Val: s})
				if s == types.HostSystemConnectionStateConnected {
					events = append(events, &types.HostConnectedEvent{HostEvent: base})
				} else {
					events = append(events, &types.HostDisconnectedEvent{HostEvent: base})
				}
			}
		}
		if maintenance != nil && h.Runtime.InMaintenanceMode != *maintenance {
			h.Runtime.InMaintenanceMode = *maintenance
			changes = append(changes,
				types.PropertyChange{Name: "runtime.inMaintenanceMode", Val: *maintenance},
				types.PropertyChange{Name: "summary.runtime.inMaintenanceMode", Val: *maintenance})
			if *maintenance {
				events = append(events, &types.EnteredMaintenanceModeEvent{HostEvent: base})
			} else {
				events = append(events, &types.ExitMaintenanceModeEvent{HostEvent: base})
			}
		}
		if len(changes) > 0 {
			simulator.Map.Update(h, changes)
		}
	})
	if fault != nil {
		return fault
	}
	for _, e := range events {
		if err := l.postEvent(e); err != nil {
			return err
		}
	}
	return nil
}
