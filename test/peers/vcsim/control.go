package main

// The control endpoint (plain HTTP on 127.0.0.1, JSON in and out). Errors answer 400 with
// {"error": "..."}. See test/helpers/vcsim.ts for the client and its documentation.
//
//	GET  /dump                                   inventory oracle (hosts, networks, vms)
//	POST /relocate   {vm, host, startOnly?, delayMs?, direct?}
//	POST /power      {vm, on}
//	POST /vm/create  {name, host, nics?: [{network, mac?, connected?}], powerOn?}
//	POST /vm/destroy {vm}
//	POST /vnic/add   {vm, network, mac?}          -> {key, mac}
//	POST /vnic/remove {vm, key? | mac?}
//	POST /vlan       {portgroup, hosts?: [...], vlan?, trunk?: [[a,b]], pvlan?: {primary, secondary}}
//	POST /host/state {host, connectionState?, inMaintenance?}
//	POST /event      {type, vm?, host?, destHost?, sourceHost?, message?}
//	GET  /sessions                               -> {sessions: [...], byUser: {user: n}}
//	POST /sessions/kill {user?}                  -> {terminated: n}
//	POST /freeze     {on}
//	POST /outage     {on}                        vCenter down / back (inventory kept, sessions lost)
//	POST /floor/start {props?: {Type: [paths]}}, GET /floor?reset=1, POST /floor/stop

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/vmware/govmomi/vim25/types"
)

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type handlerFunc func(r *http.Request) (interface{}, error)

func (l *Launcher) serveControl(ln net.Listener) {
	mux := http.NewServeMux()
	// Mutations run one at a time (a relocate's delayed move runs outside this lock).
	var op sync.Mutex
	route := func(method, path string, h handlerFunc) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if r.Method != method {
				writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use " + method})
				return
			}
			if method == http.MethodPost {
				op.Lock()
				defer op.Unlock()
			}
			defer func() {
				if p := recover(); p != nil {
					writeJSON(w, http.StatusInternalServerError, map[string]string{"error": fmt.Sprint(p)})
				}
			}()
			v, err := h(r)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, v)
		})
	}
	decode := func(r *http.Request, v interface{}) error {
		if err := json.NewDecoder(r.Body).Decode(v); err != nil {
			return fmt.Errorf("bad JSON body: %w", err)
		}
		return nil
	}

	route(http.MethodGet, "/dump", func(r *http.Request) (interface{}, error) { return l.dump(), nil })

	route(http.MethodPost, "/relocate", func(r *http.Request) (interface{}, error) {
		var req struct {
			VM        string `json:"vm"`
			Host      string `json:"host"`
			StartOnly bool   `json:"startOnly"`
			DelayMs   int    `json:"delayMs"`
			Direct    bool   `json:"direct"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		vm, err := l.resolveVM(req.VM)
		if err != nil {
			return nil, err
		}
		host, err := l.resolveHost(req.Host)
		if err != nil {
			return nil, err
		}
		return l.relocate(vm, host, req.StartOnly, req.DelayMs, req.Direct)
	})

	route(http.MethodPost, "/power", func(r *http.Request) (interface{}, error) {
		var req struct {
			VM string `json:"vm"`
			On bool   `json:"on"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		vm, err := l.resolveVM(req.VM)
		if err != nil {
			return nil, err
		}
		want := types.VirtualMachinePowerStatePoweredOff
		if req.On {
			want = types.VirtualMachinePowerStatePoweredOn
		}
		if l.powerState(vm) == want {
			return map[string]interface{}{"vm": vm.Value, "powerState": want, "changed": false}, nil
		}
		if err := l.powerVM(vm, req.On); err != nil {
			return nil, err
		}
		return map[string]interface{}{"vm": vm.Value, "powerState": want, "changed": true}, nil
	})

	route(http.MethodPost, "/vm/create", func(r *http.Request) (interface{}, error) {
		var req VMSpec
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		ref, err := l.createVM(&req, true)
		if err != nil {
			return nil, err
		}
		return map[string]string{"moid": ref.Value, "name": req.Name}, nil
	})

	route(http.MethodPost, "/vm/destroy", func(r *http.Request) (interface{}, error) {
		var req struct {
			VM string `json:"vm"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		vm, err := l.resolveVM(req.VM)
		if err != nil {
			return nil, err
		}
		return map[string]string{"moid": vm.Value}, l.destroyVM(vm)
	})

	route(http.MethodPost, "/vnic/add", func(r *http.Request) (interface{}, error) {
		var req struct {
			VM string `json:"vm"`
			NicSpec
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		vm, err := l.resolveVM(req.VM)
		if err != nil {
			return nil, err
		}
		key, mac, err := l.addVnic(vm, req.NicSpec)
		if err != nil {
			return nil, err
		}
		return map[string]interface{}{"key": key, "mac": mac}, nil
	})

	route(http.MethodPost, "/vnic/remove", func(r *http.Request) (interface{}, error) {
		var req struct {
			VM  string `json:"vm"`
			Key int32  `json:"key"`
			Mac string `json:"mac"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		vm, err := l.resolveVM(req.VM)
		if err != nil {
			return nil, err
		}
		return map[string]bool{"removed": true}, l.removeVnic(vm, req.Key, req.Mac)
	})

	route(http.MethodPost, "/vlan", func(r *http.Request) (interface{}, error) {
		var req struct {
			Portgroup string   `json:"portgroup"`
			Hosts     []string `json:"hosts"`
			VlanSpec
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		l.mu.Lock()
		_, distributed := l.dvpgs[req.Portgroup]
		l.mu.Unlock()
		if distributed {
			return map[string]string{"kind": "distributed"}, l.setDistributedVlan(req.Portgroup, req.VlanSpec)
		}
		if req.Vlan == nil || req.Trunk != nil || req.Pvlan != nil {
			return nil, fmt.Errorf("a standard portgroup takes one vlan (0-4095)")
		}
		hosts, err := l.setStandardVlan(req.Portgroup, req.Hosts, *req.Vlan)
		if err != nil {
			return nil, err
		}
		return map[string]interface{}{"kind": "standard", "hosts": hosts}, nil
	})

	route(http.MethodPost, "/host/state", func(r *http.Request) (interface{}, error) {
		var req struct {
			Host            string `json:"host"`
			ConnectionState string `json:"connectionState"`
			InMaintenance   *bool  `json:"inMaintenance"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		host, err := l.resolveHost(req.Host)
		if err != nil {
			return nil, err
		}
		return map[string]string{"host": host.Value}, l.setHostState(host, req.ConnectionState, req.InMaintenance)
	})

	route(http.MethodPost, "/event", func(r *http.Request) (interface{}, error) {
		var req eventRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return map[string]bool{"posted": true}, l.postArbitrary(req)
	})

	route(http.MethodGet, "/sessions", func(r *http.Request) (interface{}, error) {
		list, err := l.sessions()
		if err != nil {
			return nil, err
		}
		by := map[string]int{}
		for _, s := range list {
			by[s.UserName]++
		}
		return map[string]interface{}{"sessions": list, "byUser": by}, nil
	})

	route(http.MethodPost, "/sessions/kill", func(r *http.Request) (interface{}, error) {
		var req struct {
			User string `json:"user"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		n, err := l.killSessions(req.User)
		return map[string]int{"terminated": n}, err
	})

	route(http.MethodPost, "/freeze", func(r *http.Request) (interface{}, error) {
		var req struct {
			On bool `json:"on"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		l.frozen.set(req.On)
		return map[string]bool{"frozen": req.On}, nil
	})

	route(http.MethodPost, "/outage", func(r *http.Request) (interface{}, error) {
		var req struct {
			On bool `json:"on"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return map[string]bool{"down": req.On}, l.setOutage(req.On)
	})

	route(http.MethodPost, "/floor/start", func(r *http.Request) (interface{}, error) {
		var req struct {
			Props map[string][]string `json:"props"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return map[string]bool{"running": true}, l.startFloor(req.Props)
	})
	route(http.MethodPost, "/floor/stop", func(r *http.Request) (interface{}, error) {
		l.stopFloor()
		return map[string]bool{"running": false}, nil
	})
	route(http.MethodGet, "/floor", func(r *http.Request) (interface{}, error) {
		f := l.floorWatcher()
		if f == nil {
			return nil, fmt.Errorf("floor client not running (POST /floor/start or -floor)")
		}
		return f.report(r.URL.Query().Get("reset") == "1"), nil
	})

	_ = http.Serve(ln, mux)
}

func (l *Launcher) powerState(vm types.ManagedObjectReference) types.VirtualMachinePowerState {
	v := l.vmMO(vm)
	if v == nil {
		return ""
	}
	var s types.VirtualMachinePowerState
	simulatorWithLock(v, func() { s = v.Runtime.PowerState })
	return s
}
