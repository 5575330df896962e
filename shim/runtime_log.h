/* Messages of the wrapper, written where the engine reads the runtime's
   own: the --log file in the --log-format runc uses, and stderr.  */
#ifndef VIGIL_SHIM_RUNTIME_LOG_H
#define VIGIL_SHIM_RUNTIME_LOG_H

/* log_path may be NULL (stderr only), a path, or crun's "file:PATH";
   crun's "journald:" and "syslog:" targets fall back to stderr.
   format is "json" or anything else for runc's text format.  */
void runtime_log_setup (const char *log_path, const char *format);

void runtime_log (const char *level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#endif
