package sam

// Policy is sam_recovery_policy_t: a base policy (PolicyQuit or
// PolicyRestart), optionally OR-ed with the PolicyQuorum and PolicyCMAP
// flags.
type Policy int

// The policies and flags of sam.h.
const (
	// PolicyQuit: on failure the child is killed and the supervisor exits.
	PolicyQuit Policy = 1
	// PolicyRestart: on failure the child is killed and a new instance
	// started.
	PolicyRestart Policy = 2
	// PolicyQuorum is a flag: Start blocks until the node is quorate, and
	// losing quorum while started counts as a failure.
	PolicyQuorum Policy = 0x08
	// PolicyQuorumQuit is PolicyQuit with quorum integration.
	PolicyQuorumQuit = PolicyQuorum | PolicyQuit
	// PolicyQuorumRestart is PolicyRestart with quorum integration.
	PolicyQuorumRestart = PolicyQuorum | PolicyRestart
	// PolicyCMAP is a flag: the supervisor keeps resources.process.<pid>.*
	// keys in cmap (TOTEM_SPEC §11.5).
	PolicyCMAP Policy = 0x10
	// PolicyConfDB is the old name of PolicyCMAP.
	PolicyConfDB = PolicyCMAP
)

// base is the policy without the QUORUM and CMAP flags.
func (p Policy) base() Policy { return p &^ (PolicyQuorum | PolicyCMAP) }

// valid is libsam's check: the base must be exactly QUIT or RESTART.
func (p Policy) valid() bool { return p.base() == PolicyQuit || p.base() == PolicyRestart }

func (p Policy) quorum() bool { return p&PolicyQuorum != 0 }
func (p Policy) cmap() bool   { return p&PolicyCMAP != 0 }

// recoveryName is the cmap "recovery" value.
func (p Policy) recoveryName() string {
	if p.base() == PolicyRestart {
		return "restart"
	}
	return "quit"
}
