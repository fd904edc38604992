package coroparse

// The keys corosync 3.1.7 knows, section by section, and how coroparse
// types them. Everything not listed is stored as a string.

// totem{} keys coroparse stores as UINT32.
var totemU32 = setOf(
	"version", "nodeid", "threads", "token", "token_coefficient", "token_retransmit",
	"token_warning", "hold", "token_retransmits_before_loss_const", "join", "send_join",
	"consensus", "merge", "downcheck", "fail_recv_const", "seqno_unchanged_const",
	"rrp_token_expired_timeout", "rrp_problem_count_timeout", "rrp_problem_count_threshold",
	"rrp_problem_count_mcast_threshold", "rrp_autorecovery_check_timeout",
	"heartbeat_failures_allowed", "max_network_delay", "window_size", "max_messages",
	"miss_count_const", "knet_pmtud_interval", "knet_mtu", "knet_compression_threshold",
	"netmtu",
)

// totem{} string keys corosync reads.
var totemStrings = setOf(
	"ip_version", "crypto_model", "crypto_cipher", "crypto_hash", "secauth", "keyfile",
	"key", "link_mode", "clear_node_high_bit", "cluster_name", "transport",
	"knet_compression_model", "block_unlisted_ips", "cancel_token_hold_on_retransmit",
	"rrp_mode",
)

// totem{} keys corosync 3 parses but no longer uses (corosync 2's redundant
// ring protocol).
var totemObsolete = setOf(
	"rrp_token_expired_timeout", "rrp_problem_count_timeout", "rrp_problem_count_threshold",
	"rrp_problem_count_mcast_threshold", "rrp_autorecovery_check_timeout", "rrp_mode",
)

// Allowed values of the totem{} keys coroparse checks.
var (
	ipVersions     = []string{"ipv4", "ipv6", "ipv4-6", "ipv6-4"}
	cryptoCiphers  = []string{"none", "aes256", "aes192", "aes128"}
	cryptoHashes   = []string{"none", "md5", "sha1", "sha256", "sha384", "sha512"}
	cryptoModels   = []string{"nss", "openssl", "gcrypt"} // libknet 1.25's plugins
	compressModels = []string{"none", "zlib", "lz4", "lz4hc", "lzo2", "lzma", "bzip2", "zstd"}
	transports     = []string{"udpu", "udp", "knet"}
	linkModes      = []string{"active", "passive", "rr"}
	knetTransports = []string{"udp", "sctp"}
)

// quorum{} keys typed by coroparse, and the string ones votequorum reads.
var (
	quorumU32     = setOf("expected_votes", "votes", "last_man_standing_window", "leaving_timeout")
	quorumU8      = setOf("two_node", "expected_votes_tracking", "allow_downscale", "wait_for_all", "auto_tie_breaker", "last_man_standing")
	quorumStrings = setOf("provider", "auto_tie_breaker_node", "cancel_wait_for_all")
	qdeviceU32    = setOf("timeout", "sync_timeout", "votes")
	qdeviceU8     = setOf("master_wins")
)

// logging{} keys: the ones valid at the top level only, and the ones valid
// both there and in logger_subsys{} (logconfig.c).
var (
	loggingTopOnly = setOf("timestamp", "fileline", "function_name", "blackbox")
	loggingBoth    = setOf("to_stderr", "to_syslog", "syslog_facility", "syslog_level",
		"syslog_priority", "logfile", "to_file", "to_logfile", "logfile_priority", "debug")
	logPriorities     = []string{"alert", "crit", "debug", "emerg", "err", "error", "info", "notice", "warning"}
	syslogFacilities  = []string{"auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news", "syslog", "user", "uucp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
	yesNoOnOff        = []string{"yes", "no", "on", "off"}
	onOff             = []string{"on", "off"}
	timestampValues   = []string{"on", "hires", "off"}
	debugValues       = []string{"off", "on", "trace"}
	qbIPCTypes        = []string{"native", "shm", "socket"}
	yesNo             = []string{"yes", "no"}
	moveToRootCgroups = []string{"yes", "no", "auto"}
)

var (
	systemKeys    = setOf("qb_ipc_type", "sched_rr", "priority", "move_to_root_cgroup", "allow_knet_handle_fallback", "state_dir")
	nozzleKeys    = setOf("name", "ipaddr", "ipprefix", "macaddr")
	ploadKeys     = setOf("count", "size")
	resourcesKeys = setOf("watchdog_timeout", "watchdog_device")
	interfaceKeys = setOf("linknumber", "bindnetaddr", "mcastaddr", "broadcast", "mcastport", "ttl",
		"knet_link_priority", "knet_ping_interval", "knet_ping_timeout", "knet_ping_precision",
		"knet_pong_count", "knet_transport")
)

// Our dataplane{} section.
var (
	dataplaneIdles      = []string{"hybrid", "spin", "yield", "block"}
	dataplaneTransports = []string{"udp", "xdp", "rdma"}
)

// Limits of corosync 3.1.7.
const (
	maxLinks      = 8     // INTERFACE_MAX
	maxKeyName    = 256   // ICMAP_KEYNAME_MAXLEN
	maxLine       = 510   // fgets into 512 bytes, newline included
	knetMaxHost   = 65536 // KNET_MAX_HOST
	keyLenMin     = 128   // KNET_MIN_KEY_LEN (bytes)
	keyLenMax     = 4096  // KNET_MAX_KEY_LEN
	linkModeMax   = 64    // TOTEM_LINK_MODE_BYTES
	minimumTimout = 30    // 3 × 1000/HZ ms
	minimumHold   = 14    // MINIMUM_TIMEOUT × 0.8 − 1000/HZ
	defaultPort   = 5405
)

type set map[string]bool

func setOf(names ...string) set {
	s := make(set, len(names))
	for _, n := range names {
		s[n] = true
	}
	return s
}

// validKeyName is icmap's rule for key names: 3..255 characters of
// a-z A-Z 0-9 . _ - / :
func validKeyName(s string) bool {
	if len(s) < 3 || len(s) >= maxKeyName {
		return false
	}
	return validNameChars(s)
}

func validNameChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == '-', c == '/', c == ':':
		default:
			return false
		}
	}
	return true
}
