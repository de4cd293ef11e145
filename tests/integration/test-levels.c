/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Root integration test: freezing by dependency level on real filesystems.
 *
 * Sixteen loop filesystems, two of them backed by image files that live on
 * two of the others.  A filesystem on a loop device must be frozen before
 * the filesystem holding its image (else its writeback would hang in the
 * frozen one), so the agent freezes in levels, in parallel within a level.
 * One acquire of all sixteen must freeze every one (kernel truth: writers
 * block) without a deadlock, and one release must thaw them all; twenty
 * times over. */
#include "qt-harness.h"

#include <string.h>

#define N_FS 16
#define ROUNDS 20

START_TEST (test_levels_acquire_release)
{
  QtHarness *h = qt_harness ();
  const char *mp[N_FS + 1] = { NULL };
  gboolean all_frozen[N_FS];
  gboolean none_frozen[N_FS];
  g_autoptr (QtClient) c = NULL;
  g_autoptr (GString) list = g_string_new (NULL);
  gint64 worst_ms = 0;

  /* base0 and base1 hold the images of inner0 and inner1 */
  for (guint i = 0; i < N_FS - 2; i++)
    {
      g_autofree char *name = g_strdup_printf ("fs%02u", i);
      mp[i] = qt_fs_add (h, name, "ext4", 64);
    }
  mp[N_FS - 2] = qt_fs_add_image_in (h, "inner0", "ext4", 32, mp[0]);
  mp[N_FS - 1] = qt_fs_add_image_in (h, "inner1", "ext4", 32, mp[1]);
  for (guint i = 0; i < N_FS; i++)
    {
      all_frozen[i] = TRUE;
      none_frozen[i] = FALSE;
      g_string_append_printf (list, "%s\"%s\"", i > 0 ? "," : "", mp[i]);
    }

  qt_agent_start (h, NULL);
  c = qt_client_new (h);

  {
    /* the order the agent will use: each inner before its base */
    JsonNode *r = qt_ok (c, "{\"execute\":\"guest-fsfreeze-resolve\",\"arguments\":"
                            "{\"mountpoints\":[%s]}}",
                         list->str);
    JsonArray *fs = qt_get_array (json_node_get_object (r), "filesystems");
    gint pos_inner0 = -1, pos_base0 = -1, pos_inner1 = -1, pos_base1 = -1;

    ck_assert_uint_eq (json_array_get_length (fs), N_FS);
    for (guint i = 0; i < json_array_get_length (fs); i++)
      {
        const char *m = qt_get_str (qt_obj_at (fs, i), "mountpoint");
        if (g_strcmp0 (m, mp[N_FS - 2]) == 0)
          pos_inner0 = (gint) i;
        if (g_strcmp0 (m, mp[0]) == 0)
          pos_base0 = (gint) i;
        if (g_strcmp0 (m, mp[N_FS - 1]) == 0)
          pos_inner1 = (gint) i;
        if (g_strcmp0 (m, mp[1]) == 0)
          pos_base1 = (gint) i;
      }
    ck_assert_int_lt (pos_inner0, pos_base0);
    ck_assert_int_lt (pos_inner1, pos_base1);
  }

  for (guint round = 0; round < ROUNDS; round++)
    {
      JsonObject *acq;
      gint64 handle;
      gint64 t0 = qt_now_ms ();
      gint64 dt;

      acq = json_node_get_object (qt_ok (c, "{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":"
                                            "{\"mountpoints\":[%s],\"owner\":\"levels\","
                                            "\"timeout\":120}}",
                                         list->str));
      dt = qt_now_ms () - t0;
      worst_ms = MAX (worst_ms, dt);
      qt_assert_int (c, qt_get_int (acq, "frozen"), N_FS);
      handle = qt_get_int (acq, "handle");
      /* the kernel's word, every fourth round and the last (writers cost
       * a few hundred ms per check) */
      if (round % 4 == 0 || round == ROUNDS - 1)
        qt_expect_frozen (h, mp, all_frozen);
      {
        JsonObject *rel = qt_release (c, handle);
        qt_assert_int (c, qt_get_int (rel, "thawed"), N_FS);
      }
      if (round % 4 == 0 || round == ROUNDS - 1)
        qt_expect_frozen (h, mp, none_frozen);
    }
  ck_assert_str_eq (qt_status (c), "thawed");
  g_print ("# %d rounds of acquire+release of %d filesystems (2 loop-backed on 2 others); "
           "slowest acquire %" G_GINT64_FORMAT " ms\n",
           ROUNDS, N_FS, worst_ms);
}
END_TEST

START_TEST (test_backing_frozen_refused)
{
  /* freezing the base first, then the filesystem whose image it holds,
   * would hang in the kernel: the agent refuses with Busy instead */
  QtHarness *h = qt_harness ();
  const char *base = qt_fs_add (h, "base", "ext4", 64);
  const char *inner = qt_fs_add_image_in (h, "inner", "ext4", 32, base);
  g_autoptr (QtClient) c = NULL;
  JsonObject *acq;

  qt_agent_start (h, NULL);
  c = qt_client_new (h);
  acq = qt_acquire (c, "base-first", 60, base, NULL);
  {
    gint64 handle = qt_get_int (acq, "handle");
    const char *desc = qt_err (c, "Busy",
                               "{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":"
                               "{\"mountpoints\":[\"%s\"]}}",
                               inner);
    ck_assert_msg (strstr (desc, "backing file") != NULL, "%s", desc);
    /* inner is not frozen, but its writes go through the loop into the
     * frozen base, so a writer on it would block too: check base only */
    qt_expect (h, base, TRUE, NULL);
    ck_assert_str_eq (qt_status (c), "frozen");
    qt_release (c, handle);
  }
  qt_expect (h, base, FALSE, inner, FALSE, NULL);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("levels");

  qt_suite_add (s, "acquire-release-16", test_levels_acquire_release, 480);
  qt_suite_add (s, "backing-frozen-refused", test_backing_frozen_refused, 120);
  return qt_main (s);
}
