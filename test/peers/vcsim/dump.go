package main

// The inventory as the simulator holds it, read straight from its objects (never over SOAP)
// and shaped like shared/model.ts facts: the oracle a client's first sync must equal.

import (
	"sort"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type dumpVlan map[string]interface{}

type dumpPnic struct {
	Device string `json:"device"`
	Mac    string `json:"mac"`
}

type dumpHostPortgroup struct {
	Name    string   `json:"name"`
	Vlan    dumpVlan `json:"vlan"`
	Uplinks []string `json:"uplinks"`
}

type dumpDvsMember struct {
	Dvs     string   `json:"dvs"`
	Uplinks []string `json:"uplinks"`
}

type dumpVmknic struct {
	Device    string  `json:"device"`
	Portgroup string  `json:"portgroup"`
	IP        *string `json:"ip"`
	Mac       *string `json:"mac"`
}

type dumpHost struct {
	Moid       string              `json:"moid"`
	Name       string              `json:"name"`
	Pnics      []dumpPnic          `json:"pnics"`
	Portgroups []dumpHostPortgroup `json:"portgroups"`
	Dvs        []dumpDvsMember     `json:"dvs"`
	Vmknics    []dumpVmknic        `json:"vmknics"`
	Vms        []string            `json:"vms"`
	// runtime.connectionState (connected | disconnected | notResponding), runtime.inMaintenanceMode
	ConnectionState string `json:"connectionState"`
	InMaintenance   bool   `json:"inMaintenance"`
}

type dumpNetwork struct {
	Moid   string   `json:"moid"`
	Name   string   `json:"name"`
	Kind   string   `json:"kind"`
	Vlan   dumpVlan `json:"vlan"`
	Dvs    *string  `json:"dvs"`
	Uplink bool     `json:"uplink"`
	Hosts  []string `json:"hosts"`
}

type dumpVnic struct {
	Key       int32   `json:"key"`
	Mac       string  `json:"mac"`
	Network   *string `json:"network"`
	Connected bool    `json:"connected"`
}

type dumpVM struct {
	Moid       string     `json:"moid"`
	Name       string     `json:"name"`
	UUID       *string    `json:"uuid"`
	PowerState string     `json:"powerState"`
	Template   bool       `json:"template"`
	Host       *string    `json:"host"`
	Vnics      []dumpVnic `json:"vnics"`
}

type dump struct {
	Hosts    []dumpHost    `json:"hosts"`
	Networks []dumpNetwork `json:"networks"`
	Vms      []dumpVM      `json:"vms"`
}

func strp(s string) *string { return &s }

func refValues(refs []types.ManagedObjectReference) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		out = append(out, r.Value)
	}
	sort.Strings(out)
	return out
}

func vlanOfDvs(v types.BaseVmwareDistributedVirtualSwitchVlanSpec, pvlans []types.VMwareDVSPvlanMapEntry) dumpVlan {
	switch s := v.(type) {
	case *types.VmwareDistributedVirtualSwitchVlanIdSpec:
		return dumpVlan{"kind": "vlan", "vlan": s.VlanId}
	case *types.VmwareDistributedVirtualSwitchTrunkVlanSpec:
		ranges := []map[string]int32{}
		for _, r := range s.VlanId {
			ranges = append(ranges, map[string]int32{"from": r.Start, "to": r.End})
		}
		return dumpVlan{"kind": "trunk", "ranges": ranges}
	case *types.VmwareDistributedVirtualSwitchPvlanSpec:
		primary := s.PvlanId
		for _, e := range pvlans {
			if e.SecondaryVlanId == s.PvlanId {
				primary = e.PrimaryVlanId
			}
		}
		return dumpVlan{"kind": "pvlan", "primary": primary, "secondary": s.PvlanId}
	}
	return dumpVlan{"kind": "none"}
}

func (l *Launcher) dump() dump {
	out := dump{Hosts: []dumpHost{}, Networks: []dumpNetwork{}, Vms: []dumpVM{}}
	dvsUUID := map[string]string{} // uuid -> uuid (present switches)
	pvlans := map[string][]types.VMwareDVSPvlanMapEntry{}
	for _, e := range simulator.Map.All("DistributedVirtualSwitch") {
		sw := e.(*simulator.DistributedVirtualSwitch)
		simulator.Map.WithLock(sw, func() {
			dvsUUID[sw.Self.Value] = sw.Uuid
			if cfg, ok := sw.Config.(*types.VMwareDVSConfigInfo); ok {
				pvlans[sw.Self.Value] = cfg.PvlanConfig
			}
		})
	}
	for _, e := range simulator.Map.All("HostSystem") {
		h := e.(*simulator.HostSystem)
		simulator.Map.WithLock(h, func() { out.Hosts = append(out.Hosts, dumpHostOf(&h.HostSystem)) })
	}
	for _, e := range simulator.Map.All("Network") {
		n, ok := e.(*mo.Network)
		if !ok {
			continue
		}
		simulator.Map.WithLock(n, func() {
			out.Networks = append(out.Networks, dumpNetwork{
				Moid: n.Self.Value, Name: n.Name, Kind: "standard", Vlan: nil, Hosts: refValues(n.Host),
			})
		})
	}
	for _, e := range simulator.Map.All("DistributedVirtualPortgroup") {
		pg := e.(*simulator.DistributedVirtualPortgroup)
		simulator.Map.WithLock(pg, func() {
			d := dumpNetwork{Moid: pg.Self.Value, Name: pg.Name, Kind: "distributed", Hosts: refValues(pg.Host)}
			if pg.Config.DistributedVirtualSwitch != nil {
				sw := pg.Config.DistributedVirtualSwitch.Value
				d.Dvs = strp(dvsUUID[sw])
				d.Vlan = dumpVlan{"kind": "none"}
				if ps, ok := pg.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting); ok && ps.Vlan != nil {
					d.Vlan = vlanOfDvs(ps.Vlan, pvlans[sw])
				}
			}
			d.Uplink = pg.Config.Uplink != nil && *pg.Config.Uplink
			out.Networks = append(out.Networks, d)
		})
	}
	l.mu.Lock()
	zombies := make(map[types.ManagedObjectReference]bool, len(l.zombies))
	for k := range l.zombies {
		zombies[k] = true
	}
	l.mu.Unlock()
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm := e.(*simulator.VirtualMachine)
		if zombies[vm.Self] {
			continue
		}
		simulator.Map.WithLock(vm, func() { out.Vms = append(out.Vms, dumpVMOf(&vm.VirtualMachine)) })
	}
	sort.Slice(out.Hosts, func(i, j int) bool { return out.Hosts[i].Name < out.Hosts[j].Name })
	sort.Slice(out.Networks, func(i, j int) bool { return out.Networks[i].Name < out.Networks[j].Name })
	sort.Slice(out.Vms, func(i, j int) bool { return out.Vms[i].Name < out.Vms[j].Name })
	return out
}

func dumpHostOf(h *mo.HostSystem) dumpHost {
	d := dumpHost{Moid: h.Self.Value, Name: h.Name, Pnics: []dumpPnic{}, Portgroups: []dumpHostPortgroup{},
		Dvs: []dumpDvsMember{}, Vmknics: []dumpVmknic{}, Vms: refValues(h.Vm),
		ConnectionState: string(h.Runtime.ConnectionState), InMaintenance: h.Runtime.InMaintenanceMode}
	if h.Config == nil || h.Config.Network == nil {
		return d
	}
	n := h.Config.Network
	device := map[string]string{} // pnic key -> device
	for _, p := range n.Pnic {
		device[p.Key] = p.Device
		d.Pnics = append(d.Pnics, dumpPnic{Device: p.Device, Mac: p.Mac})
	}
	uplinks := map[string][]string{} // vswitch key -> devices
	for _, vs := range n.Vswitch {
		devs := []string{}
		for _, k := range vs.Pnic {
			devs = append(devs, device[k])
		}
		uplinks[vs.Key] = devs
	}
	for _, pg := range n.Portgroup {
		up := uplinks[pg.Vswitch]
		if up == nil {
			up = []string{}
		}
		d.Portgroups = append(d.Portgroups, dumpHostPortgroup{
			Name: pg.Spec.Name, Vlan: dumpVlan{"kind": "vlan", "vlan": pg.Spec.VlanId}, Uplinks: up,
		})
	}
	for _, ps := range n.ProxySwitch {
		devs := []string{}
		for _, k := range ps.Pnic {
			devs = append(devs, device[k])
		}
		d.Dvs = append(d.Dvs, dumpDvsMember{Dvs: ps.DvsUuid, Uplinks: devs})
	}
	for _, v := range n.Vnic {
		k := dumpVmknic{Device: v.Device, Portgroup: v.Portgroup}
		if v.Spec.DistributedVirtualPort != nil {
			k.Portgroup = v.Spec.DistributedVirtualPort.PortgroupKey
		}
		if v.Spec.Ip != nil && v.Spec.Ip.IpAddress != "" {
			k.IP = strp(v.Spec.Ip.IpAddress)
		}
		if v.Spec.Mac != "" {
			k.Mac = strp(v.Spec.Mac)
		}
		d.Vmknics = append(d.Vmknics, k)
	}
	return d
}

func dumpVMOf(vm *mo.VirtualMachine) dumpVM {
	d := dumpVM{Moid: vm.Self.Value, Name: vm.Name, PowerState: string(vm.Runtime.PowerState), Vnics: []dumpVnic{}}
	if vm.Runtime.Host != nil {
		d.Host = strp(vm.Runtime.Host.Value)
	}
	if vm.Config == nil {
		return d
	}
	d.Template = vm.Config.Template
	if vm.Config.InstanceUuid != "" {
		d.UUID = strp(vm.Config.InstanceUuid)
	}
	for _, dev := range vm.Config.Hardware.Device {
		c, ok := dev.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		e := c.GetVirtualEthernetCard()
		v := dumpVnic{Key: e.Key, Mac: e.MacAddress, Connected: e.Connectable == nil || e.Connectable.Connected}
		switch b := e.Backing.(type) {
		case *types.VirtualEthernetCardNetworkBackingInfo:
			if b.Network != nil {
				v.Network = strp(b.Network.Value)
			}
		case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
			v.Network = strp(b.Port.PortgroupKey)
		}
		d.Vnics = append(d.Vnics, v)
	}
	return d
}
