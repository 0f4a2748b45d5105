package main

// Host networking the simulator lacks (DESIGN §7): per-host pNIC MACs, standard vSwitches and
// portgroups with VLANs in HostSystem.config.network, host.network / Network.host, vmknics,
// and the distributed switch's uplinks (DVS config.host, host proxySwitch).

import (
	"fmt"
	"net"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

func pnicMAC(host, n int) string {
	return fmt.Sprintf("00:50:56:%02x:%02x:%02x", 0xaa+(host>>8), host&0xff, n)
}

func vmkMAC(host, n int) string {
	return fmt.Sprintf("00:50:56:%02x:%02x:%02x", 0x60+(host>>8), host&0xff, n)
}

// vmMAC is in VMware's manual range 00:50:56:00:00:00-3f:ff:ff: serial (<16384) and NIC index.
func vmMAC(serial, n int) string {
	return fmt.Sprintf("00:50:56:%02x:%02x:%02x", (serial>>8)&0x3f, serial&0xff, n)
}

func ipPlus(base string, n int) string {
	ip := net.ParseIP(base).To4()
	if ip == nil {
		return ""
	}
	v := uint32(ip[0])<<24 | uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3])
	v += uint32(n)
	return net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v)).String()
}

func pnicKey(dev string) string       { return "key-vim.host.PhysicalNic-" + dev }
func vswitchKey(name string) string   { return "key-vim.host.VirtualSwitch-" + name }
func portgroupKey(name string) string { return "key-vim.host.PortGroup-" + name }

// uplinkPortKey names the DVS uplink port of a host's n-th uplink.
func uplinkPortKey(host, n int) string { return fmt.Sprintf("%d", 100000+host*16+n) }

const mgmtPortgroup = "Management Network"

func (l *Launcher) hostVswitches(h *HostSpec) []VswitchSpec {
	if len(h.Vswitches) > 0 {
		return h.Vswitches
	}
	return l.spec.Vswitches
}

// buildHostNetwork computes a host's config.network from the spec and the DVS list.
func (l *Launcher) buildHostNetwork(name string, pgs []PortgroupSpec) *types.HostNetworkInfo {
	hs := l.hostSpecs[name]
	idx := l.hostIndex[l.hosts[name]]
	info := &types.HostNetworkInfo{}
	for n, dev := range hs.Pnics {
		mac := pnicMAC(idx, n)
		if m, ok := hs.PnicMacs[dev]; ok {
			mac = m
		}
		info.Pnic = append(info.Pnic, types.PhysicalNic{
			Key:       pnicKey(dev),
			Device:    dev,
			Pci:       fmt.Sprintf("0000:%02x:00.0", 0x0b+n),
			Driver:    "nvmxnet3",
			LinkSpeed: &types.PhysicalNicLinkInfo{SpeedMb: 10000, Duplex: true},
			Mac:       mac,
			Spec:      types.PhysicalNicSpec{Ip: &types.HostIpConfig{}},
		})
	}
	vswitches := l.hostVswitches(hs)
	all := append([]PortgroupSpec{{Name: mgmtPortgroup, VlanSpec: VlanSpec{Vlan: intp(0)}, Vswitch: vswitches[0].Name}}, pgs...)
	for _, vs := range vswitches {
		sw := types.HostVirtualSwitch{
			Name: vs.Name, Key: vswitchKey(vs.Name), NumPorts: 1536, NumPortsAvailable: 1500, Mtu: 1500,
			Spec: types.HostVirtualSwitchSpec{
				NumPorts: 128,
				Bridge: &types.HostVirtualSwitchBondBridge{
					NicDevice:                   vs.Uplinks,
					LinkDiscoveryProtocolConfig: &types.LinkDiscoveryProtocolConfig{Protocol: "cdp", Operation: "listen"},
				},
				Policy: teaming(vs.Uplinks),
			},
		}
		for _, dev := range vs.Uplinks {
			sw.Pnic = append(sw.Pnic, pnicKey(dev))
		}
		for _, pg := range all {
			if pg.Vswitch == vs.Name {
				sw.Portgroup = append(sw.Portgroup, portgroupKey(pg.Name))
			}
		}
		info.Vswitch = append(info.Vswitch, sw)
	}
	for _, pg := range all {
		var uplinks []string
		for _, vs := range vswitches {
			if vs.Name == pg.Vswitch {
				uplinks = vs.Uplinks
			}
		}
		vlan := 0
		if pg.Vlan != nil {
			vlan = *pg.Vlan
		}
		info.Portgroup = append(info.Portgroup, types.HostPortGroup{
			Key:            portgroupKey(pg.Name),
			Vswitch:        vswitchKey(pg.Vswitch),
			ComputedPolicy: *teaming(uplinks),
			Spec:           types.HostPortGroupSpec{Name: pg.Name, VlanId: int32(vlan), VswitchName: pg.Vswitch, Policy: types.HostNetworkPolicy{}},
		})
	}
	info.Vnic = append(info.Vnic, types.HostVirtualNic{
		Device: "vmk0", Key: "key-vim.host.VirtualNic-vmk0", Portgroup: mgmtPortgroup,
		Spec: types.HostVirtualNicSpec{
			Ip:  &types.HostIpConfig{IpAddress: ipPlus("10.10.0.0", idx), SubnetMask: "255.255.0.0"},
			Mac: vmkMAC(idx, 0), Mtu: 1500, Portgroup: mgmtPortgroup,
		},
	})
	if v := l.spec.Vtep; v != nil {
		ip := hs.VtepIP
		if ip == "" {
			ip = ipPlus(v.Base, idx)
		}
		nic := types.HostVirtualNic{
			Device: v.Device, Key: "key-vim.host.VirtualNic-" + v.Device,
			Spec: types.HostVirtualNicSpec{
				Ip:  &types.HostIpConfig{IpAddress: ip, SubnetMask: "255.255.0.0"},
				Mac: vmkMAC(idx, 1), Mtu: 1600,
			},
		}
		if pg, ok := l.dvpgs[v.Portgroup]; ok {
			nic.Spec.DistributedVirtualPort = &types.DistributedVirtualSwitchPortConnection{
				SwitchUuid: l.switches[pg.dvs].uuid, PortgroupKey: pg.ref.Value,
			}
		} else {
			nic.Portgroup = v.Portgroup
			nic.Spec.Portgroup = v.Portgroup
		}
		info.Vnic = append(info.Vnic, nic)
	}
	for _, d := range l.spec.Switches {
		sw := l.switches[d.Name]
		ps := types.HostProxySwitch{
			DvsUuid: sw.uuid, DvsName: d.Name, Key: sw.uuid, NumPorts: 512, NumPortsAvailable: 500, Mtu: 1500,
		}
		backing := &types.DistributedVirtualSwitchHostMemberPnicBacking{}
		for n, dev := range d.Uplinks {
			key := uplinkPortKey(idx, n)
			ps.Pnic = append(ps.Pnic, pnicKey(dev))
			ps.UplinkPort = append(ps.UplinkPort, types.KeyValue{Key: key, Value: fmt.Sprintf("Uplink %d", n+1)})
			backing.PnicSpec = append(backing.PnicSpec, types.DistributedVirtualSwitchHostMemberPnicSpec{
				PnicDevice: dev, UplinkPortKey: key, UplinkPortgroupKey: sw.uplinkPg.Value,
			})
		}
		ps.Spec.Backing = backing
		info.ProxySwitch = append(info.ProxySwitch, ps)
	}
	return info
}

func teaming(uplinks []string) *types.HostNetworkPolicy {
	return &types.HostNetworkPolicy{
		NicTeaming: &types.HostNicTeamingPolicy{
			Policy:   "loadbalance_srcid",
			NicOrder: &types.HostNicOrderPolicy{ActiveNic: uplinks},
		},
	}
}

// hostNetworkRefs is host.network: the Network objects of its standard portgroups and every
// portgroup of the distributed switches it is a member of.
func (l *Launcher) hostNetworkRefs(pgs []PortgroupSpec) []types.ManagedObjectReference {
	var out []types.ManagedObjectReference
	for _, pg := range pgs {
		if ref, ok := l.networks[pg.Name]; ok {
			out = append(out, ref)
		}
	}
	for _, d := range l.spec.Switches {
		out = append(out, l.switches[d.Name].uplinkPg)
		for _, pg := range d.Portgroups {
			out = append(out, l.dvpgs[pg.Name].ref)
		}
	}
	return out
}

// hostNetworkChanges are the property paths we emit for a host's network. They are leaves a
// client may watch; a client watching a parent (config.network, config) still matches.
var hostNetworkPaths = []string{
	"config.network.pnic", "config.network.vswitch", "config.network.portgroup",
	"config.network.vnic", "config.network.proxySwitch", "network",
}

// writeHostNetwork rewrites a host's network from the current portgroup specs (the spec's
// or, after a VLAN change, the stored per-host ones). notify: emit property changes.
func (l *Launcher) writeHostNetwork(ref types.ManagedObjectReference, notify bool) {
	name := l.hostName[ref]
	hs := l.hostSpecs[name]
	pgs := l.spec.hostPortgroups(hs)
	info := l.buildHostNetwork(name, pgs)
	nets := l.hostNetworkRefs(pgs)
	h := hostMO(ref)
	simulator.Map.WithLock(h, func() {
		h.Config.Network = info
		h.Network = nets
		if notify {
			simulator.Map.Update(h, []types.PropertyChange{
				{Name: "config.network.pnic", Val: info.Pnic},
				{Name: "config.network.vswitch", Val: info.Vswitch},
				{Name: "config.network.portgroup", Val: info.Portgroup},
				{Name: "config.network.vnic", Val: info.Vnic},
				{Name: "config.network.proxySwitch", Val: info.ProxySwitch},
				{Name: "network", Val: nets},
			})
		}
	})
	if ns, ok := simulator.Map.Get(*h.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem); ok {
		simulator.Map.WithLock(ns, func() { ns.NetworkInfo = info })
	}
}

// writeNetworkHosts sets Network.host of every standard network to the hosts carrying it.
func (l *Launcher) writeNetworkHosts(notify bool) {
	carriers := map[string][]types.ManagedObjectReference{}
	for _, name := range l.hostOrder() {
		for _, pg := range l.spec.hostPortgroups(l.hostSpecs[name]) {
			carriers[pg.Name] = append(carriers[pg.Name], l.hosts[name])
		}
	}
	for name, ref := range l.networks {
		n, ok := simulator.Map.Get(ref).(*mo.Network)
		if !ok {
			continue
		}
		hosts := carriers[name]
		simulator.Map.WithLock(n, func() {
			n.Host = hosts
			if notify {
				simulator.Map.Update(n, []types.PropertyChange{{Name: "host", Val: hosts}})
			}
		})
	}
}

// writeDvsHosts fills the DVS's config.host with each member's pNIC backing.
func (l *Launcher) writeDvsHosts(d *dvsInfo, notify bool) {
	var members []types.DistributedVirtualSwitchHostMember
	for _, name := range l.hostOrder() {
		ref := l.hosts[name]
		idx := l.hostIndex[ref]
		backing := &types.DistributedVirtualSwitchHostMemberPnicBacking{}
		var keys []string
		for n, dev := range d.spec.Uplinks {
			key := uplinkPortKey(idx, n)
			keys = append(keys, key)
			backing.PnicSpec = append(backing.PnicSpec, types.DistributedVirtualSwitchHostMemberPnicSpec{
				PnicDevice: dev, UplinkPortKey: key, UplinkPortgroupKey: d.uplinkPg.Value,
			})
		}
		host := ref
		members = append(members, types.DistributedVirtualSwitchHostMember{
			Config:        types.DistributedVirtualSwitchHostMemberConfigInfo{Host: &host, MaxProxySwitchPorts: 512, Backing: backing},
			UplinkPortKey: keys,
			Status:        "up",
		})
	}
	sw := simulator.Map.Get(d.ref).(*simulator.DistributedVirtualSwitch)
	simulator.Map.WithLock(sw, func() {
		cfg := sw.Config.(*types.VMwareDVSConfigInfo)
		cfg.Host = members
		if notify {
			simulator.Map.Update(sw, []types.PropertyChange{{Name: "config.host", Val: members}})
		}
	})
}
