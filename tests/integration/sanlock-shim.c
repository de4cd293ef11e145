/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sanlock-shim: an LD_PRELOAD library for the sanlock daemon in the tests
 * only, never installed.
 *
 * sanlock raises RLIMIT_MEMLOCK and RLIMIT_RTPRIO to unlimited at start
 * and exits ("cannot set the limits for memlock 1") when that fails, as it
 * does for a root without CAP_SYS_RESOURCE (containers, CI).  This shim
 * lets a refused raise (EPERM) succeed with both limits clamped to the
 * hard limit the process already has; everything else is passed on.
 *
 * Both setrlimit and setrlimit64 are defined: the build's
 * -D_FILE_OFFSET_BITS=64 would otherwise turn the one named setrlimit here
 * into setrlimit64, and sanlock's own call would go by. */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#define CLAMP_LIMITS(want, now, out)                                                               \
  do                                                                                               \
    {                                                                                              \
      (out).rlim_max = (want)->rlim_max > (now).rlim_max ? (now).rlim_max : (want)->rlim_max;      \
      (out).rlim_cur = (want)->rlim_cur > (out).rlim_max ? (out).rlim_max : (want)->rlim_cur;      \
    }                                                                                              \
  while (0)

typedef int (*setrlimit_fn) (__rlimit_resource_t, const struct rlimit *);
typedef int (*setrlimit64_fn) (__rlimit_resource_t, const struct rlimit64 *);
typedef int (*prlimit_fn) (pid_t, __rlimit_resource_t, const struct rlimit *, struct rlimit *);

/* exported for LD_PRELOAD; the prototypes come from <sys/resource.h> */
int
setrlimit (__rlimit_resource_t resource, const struct rlimit *rlim)
{
  static setrlimit_fn real;
  struct rlimit now, clamped;
  int rv;

  if (real == NULL)
    real = (setrlimit_fn) dlsym (RTLD_NEXT, "setrlimit");
  if (real == NULL)
    {
      errno = ENOSYS;
      return -1;
    }
  rv = real (resource, rlim);
  if (rv == 0 || errno != EPERM || getrlimit (resource, &now) != 0)
    return rv;
  CLAMP_LIMITS (rlim, now, clamped);
  return real (resource, &clamped);
}

int
setrlimit64 (__rlimit_resource_t resource, const struct rlimit64 *rlim)
{
  static setrlimit64_fn real;
  struct rlimit64 now, clamped;
  int rv;

  if (real == NULL)
    real = (setrlimit64_fn) dlsym (RTLD_NEXT, "setrlimit64");
  if (real == NULL)
    {
      errno = ENOSYS;
      return -1;
    }
  rv = real (resource, rlim);
  if (rv == 0 || errno != EPERM || getrlimit64 (resource, &now) != 0)
    return rv;
  CLAMP_LIMITS (rlim, now, clamped);
  return real (resource, &clamped);
}

int
prlimit (pid_t pid, __rlimit_resource_t resource, const struct rlimit *new_limit,
         struct rlimit *old_limit)
{
  static prlimit_fn real;
  struct rlimit now, clamped;
  int rv;

  if (real == NULL)
    real = (prlimit_fn) dlsym (RTLD_NEXT, "prlimit");
  if (real == NULL)
    {
      errno = ENOSYS;
      return -1;
    }
  rv = real (pid, resource, new_limit, old_limit);
  if (rv == 0 || errno != EPERM || new_limit == NULL || real (pid, resource, NULL, &now) != 0)
    return rv;
  CLAMP_LIMITS (new_limit, now, clamped);
  return real (pid, resource, &clamped, old_limit);
}
