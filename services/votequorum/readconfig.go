package votequorum

import "fmt"

// errConfig is a configuration refusal at startup.
func errConfig(format string, args ...any) error {
	return fmt.Errorf("votequorum: configuration error: "+format, args...)
}

// readConfig reads the configuration (corosync's votequorum_readconfig):
// everything at startup; at runtime only two_node, expected_votes, the
// votes and the qdevice keys. At startup an incompatible combination is an
// error naming the key; at runtime it is logged and the offending feature
// disabled, keeping the node running.
func (e *Engine) readConfig(runtime bool) error {
	s := e.store
	if runtime {
		e.twoNode = false
		e.atb = e.initialATB
		e.putU32(keyATBType, uint32(e.atb))
	}
	expected, _ := getU32(s, "quorum.expected_votes")
	nl := readNodelist(s, e.us.id)
	haveQdev, qdevVotes := e.readQdevice()
	tn, _ := getU8(s, "quorum.two_node")
	e.twoNode = tn != 0

	if !nl.have && expected == 0 {
		if !runtime {
			return errConfig("nodelist or quorum.expected_votes must be configured")
		}
		e.crit("configuration error: nodelist or quorum.expected_votes must be configured!")
		e.crit("will continue with current runtime data")
		return nil
	}
	if e.twoNode && haveQdev {
		if !runtime {
			return errConfig("quorum.two_node and a quorum device (quorum.device.model) cannot be configured at the same time")
		}
		e.crit("configuration error: two_node and quorum device cannot be configured at the same time!")
		if e.us.flags&flagQdevRegistered != 0 {
			e.crit("quorum device is registered, disabling two_node")
			e.twoNode = false
		} else {
			e.crit("quorum device is not registered, allowing two_node")
			e.setQdevCanOperate(false)
		}
	}
	if !runtime {
		if err := e.readStartupFeatures(); err != nil {
			return err
		}
	}
	if e.wfaAutoset {
		e.wfa = e.twoNode
	}
	if e.twoNode && e.atb != atbNone {
		e.crit("two_node and auto_tie_breaker are both specified but are not compatible.")
		e.crit("two_node has been disabled, please fix your corosync.conf")
		e.twoNode = false
	}
	if err := e.checkATBOdd(nl.totalVote); err != nil {
		return err
	}
	if err := e.checkQdevice(runtime, haveQdev, qdevVotes, expected, nl); err != nil {
		return err
	}
	if haveQdev && qdevVotes == qdevVotesAuto && expected == 0 && nl.have && nl.count == nl.totalVote {
		qdevVotes = int64(nl.totalVote) - 1
		nl.totalVote += uint32(qdevVotes)
	}
	e.applyVotes(nl, expected, haveQdev, qdevVotes)
	e.setEVBarrier(e.us.expected)
	e.putU8(keyTwoNode, b8(e.twoNode))
	switch {
	case e.wfa && !runtime:
		e.setWFAStatus(true)
	case !e.wfa && e.wfaAutoset && e.wfaStatus:
		// two_node was turned off at runtime and took wait_for_all with it.
		e.setWFAStatus(false)
	}
	return nil
}

// applyVotes sets our votes and expected votes and the qdevice's votes.
func (e *Engine) applyVotes(nl nodelistInfo, expected uint32, haveQdev bool, qdevVotes int64) {
	if e.evTracking {
		// corosync 3.1.7: the stored barrier replaces quorum.expected_votes
		// (0 on first use: the nodelist's value stands).
		expected = e.evTrackingBarrier
	}
	if nl.have {
		e.us.votes = nl.ourVotes
		e.us.expected = nl.totalVote
	} else {
		e.us.votes = 1
		if v, ok := getU32(e.store, "quorum.votes"); ok {
			e.us.votes = v
		}
	}
	if expected != 0 {
		e.us.expected = expected
	}
	if !haveQdev {
		e.qdev.votes = 0
	}
	if qdevVotes != qdevVotesAuto {
		e.qdev.votes = uint32(qdevVotes)
	}
}

// readStartupFeatures reads the keys corosync reads only at startup.
func (e *Engine) readStartupFeatures() error {
	s := e.store
	ad, _ := getU8(s, "quorum.allow_downscale")
	e.allowDownscale = ad != 0
	if w, ok := getU8(s, "quorum.wait_for_all"); ok {
		e.wfa = w != 0
	} else {
		e.wfaAutoset = true
	}
	lms, _ := getU8(s, "quorum.last_man_standing")
	e.lms = lms != 0
	if w, ok := getU32(s, "quorum.last_man_standing_window"); ok {
		e.lmsWindowMs = w
	}
	evt, _ := getU8(s, "quorum.expected_votes_tracking")
	e.evTracking = evt != 0
	atb, _ := getU8(s, "quorum.auto_tie_breaker")
	atbNode, haveATBNode := getStr(s, "quorum.auto_tie_breaker_node")
	e.atb = atbNone
	switch {
	case atb != 0:
		e.atb = atbLowest
		e.putU32(keyATBType, uint32(e.atb))
		if haveATBNode {
			e.atb, e.atbList = parseATB(atbNode)
			e.putU32(keyATBType, uint32(e.atb))
			if e.atb == atbNone {
				e.warn("auto_tie_breaker_nodes is not valid. It must be 'lowest', 'highest' or a space-separated list of node IDs. auto_tie_breaker is disabled")
			}
		}
	case haveATBNode:
		e.warn("auto_tie_breaker_node: is meaningless if auto_tie_breaker is set to 0")
	}
	e.initialATB = e.atb
	if e.allowDownscale {
		e.evTracking = true // allow_downscale needs expected_votes_tracking
	}
	if e.evTracking {
		b, err := loadEVTracking(e.evTrackingPath)
		if err != nil {
			return fmt.Errorf("votequorum: quorum.expected_votes_tracking: %w", err)
		}
		e.evTrackingBarrier = b
		e.putU32(keyEVTrackingBarrier, b)
	}
	return nil
}

// checkATBOdd: auto_tie_breaker with an odd nodelist vote total needs
// wait_for_all (or an isolated half+1 without the tie breaker could be
// quorate at boot); with last_man_standing too it is fatal.
func (e *Engine) checkATBOdd(nodelistVotes uint32) error {
	if e.atb == atbNone || nodelistVotes%2 == 0 || e.wfa {
		return nil
	}
	if e.lms {
		e.crit("auto_tie_breaker is set, the cluster has an odd number of nodes and last_man_standing is also set. " +
			"Disable last_man_standing and enable wait_for_all (mandatory for auto_tie_breaker in odd-numbered clusters).")
		return errConfig("quorum.auto_tie_breaker and quorum.last_man_standing are not available in an odd sized cluster (without quorum.wait_for_all)")
	}
	e.crit("auto_tie_breaker is set and the cluster has an odd number of nodes: wait_for_all needs to be set for this configuration but it is missing. " +
		"Therefore auto_tie_breaker has been disabled. Please fix your corosync.conf")
	e.atb = atbNone
	e.putU32(keyATBType, uint32(e.atb))
	return nil
}

// checkQdevice refuses the quorum device with the features it cannot
// work with, and device votes that cannot be worked out.
func (e *Engine) checkQdevice(runtime, haveQdev bool, qdevVotes int64, expected uint32, nl nodelistInfo) error {
	if !haveQdev {
		return nil
	}
	type rule struct {
		bad bool
		msg string
	}
	rules := []rule{
		{e.lms, "quorum.device is not compatible with last_man_standing"},
		{e.atb != atbNone, "quorum.device is not compatible with auto_tie_breaker"},
		{e.allowDownscale, "quorum.device is not compatible with allow_downscale"},
		{expected != 0 && qdevVotes == qdevVotesAuto, "quorum.device.votes must be specified when quorum.expected_votes is set"},
		{qdevVotes == qdevVotesAuto && nl.have && nl.count != nl.totalVote, "quorum.device.votes must be specified when not all nodes votes 1"},
		{qdevVotes > 0 && expected != 0 && int64(expected)-qdevVotes < 2, "quorum.device.votes is too high or expected_votes is too low"},
	}
	for _, r := range rules {
		if !r.bad {
			continue
		}
		if !runtime {
			return errConfig("%s", r.msg)
		}
		e.crit("configuration error: " + r.msg)
		e.crit("disabling quorum device operations")
		e.setQdevCanOperate(false)
	}
	return nil
}

// readQdevice tells whether a quorum device is configured (a non-empty
// quorum.device.model) and its votes (qdevVotesAuto when unset); it reads
// the device timeouts.
func (e *Engine) readQdevice() (bool, int64) {
	model, ok := getStr(e.store, "quorum.device.model")
	if !ok || model == "" {
		return false, 0
	}
	votes := qdevVotesAuto
	if v, ok := getU32(e.store, "quorum.device.votes"); ok {
		votes = int64(v)
	}
	e.qdevTimeoutMs = defaultQdevTimeoutMs
	if v, ok := getU32(e.store, "quorum.device.timeout"); ok {
		e.qdevTimeoutMs = v
	}
	e.qdevSyncTimeoutMs = defaultQdevSyncTimeoutMs
	if v, ok := getU32(e.store, "quorum.device.sync_timeout"); ok {
		e.qdevSyncTimeoutMs = v
	}
	e.setQdevCanOperate(true)
	return true, votes
}
