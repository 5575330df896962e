/* Diagnostic logging of the agent and the tools: one line per message on
   stderr, with syslog priority prefixes when stderr is connected to the
   journal.  Alerts are not logged here: they have their own stream.  */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

enum vigil_log_level
{
  VIGIL_LOG_ERROR = 0,
  VIGIL_LOG_WARNING,
  VIGIL_LOG_INFO,
  VIGIL_LOG_DEBUG,
};

void vigil_log_init (const char *program);
void vigil_log_set_level (enum vigil_log_level level);
enum vigil_log_level vigil_log_get_level (void);

/* Parse "error", "warning" (or "warn"), "info" or "debug".  Returns -1 on
   an unknown name.  */
int vigil_log_parse_level (const char *name);
const char *vigil_log_level_name (enum vigil_log_level level);

void vigil_log (enum vigil_log_level level, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#define log_error(...) vigil_log (VIGIL_LOG_ERROR, __VA_ARGS__)
#define log_warning(...) vigil_log (VIGIL_LOG_WARNING, __VA_ARGS__)
#define log_info(...) vigil_log (VIGIL_LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                   \
  do                                                     \
    {                                                    \
      if (vigil_log_get_level () >= VIGIL_LOG_DEBUG)     \
        vigil_log (VIGIL_LOG_DEBUG, __VA_ARGS__);        \
    }                                                    \
  while (0)

#endif
