/**
 * Each daemon's row on the database (host, pid, schedule, heartbeat, last tick, stop): written by the
 * daemon itself, read by `status`, /healthz and /metrics through status-service's daemonsSeen.
 */
export { forgetDaemons, markDaemonStopped, recordDaemonTick, registerDaemon } from "../store/daemons.js";
