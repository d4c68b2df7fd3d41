/* Plumbing shared by the two daemons: log lines and systemd notification. */
#ifndef NSJ_SERVICE_H
#define NSJ_SERVICE_H

/* One line on stderr, written with a single write(2) so that lines of
 * different threads never interleave. No prefix: journald adds its own. */
void service_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Send a state string ("READY=1", "STOPPING=1", "WATCHDOG=1", ...) to
 * systemd when $NOTIFY_SOCKET is set (the sd_notify protocol, without
 * libsystemd); does nothing otherwise. */
void service_notify(const char *state);

/* Half of $WATCHDOG_USEC in milliseconds when systemd expects
 * WATCHDOG=1 pings from this process, else 0. */
unsigned long service_watchdog_ms(void);

#endif
