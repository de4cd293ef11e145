/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fake-agent: the agent's side of a socketpair() for the host unit tests.
 *
 * A thread frames requests with common/'s framer and envelope parser, as
 * the agent does, records each as "execute ARGS-JSON", and hands it to
 * the test's answer function, which sends what it likes back.  Anything
 * odd (bad JSON, a bad envelope, what the answer function reports) is
 * collected and fails the test in fake_agent_finish(). */
#pragma once

#include <check.h>
#include <glib.h>

#include "qw-envelope.h"
#include "quiesce.h"

typedef struct _FakeAgent FakeAgent;

/* one request, in the fake's thread; FALSE ends the conversation */
typedef gboolean (*FakeAnswerFunc) (FakeAgent *fa, QwRequest *request, gpointer user_data);

/* the fake on one end, a client (with the given call timeout) on the other */
FakeAgent *fake_agent_start (FakeAnswerFunc answer, gpointer user_data, guint timeout_ms,
                             QuiesceClient **client);
/* joins the thread (close the client first) and fails on what it saw */
void fake_agent_finish (FakeAgent *fa);

int fake_agent_fd (FakeAgent *fa);
gboolean fake_agent_send (FakeAgent *fa, const char *data, gsize len);
/* takes msg */
void fake_agent_fail (FakeAgent *fa, char *msg);
/* the i-th request as "execute ARGS-JSON", or NULL; and how many came */
char *fake_agent_request (FakeAgent *fa, guint i);
guint fake_agent_n_requests (FakeAgent *fa);
