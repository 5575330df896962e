/* Finding the model key in what containerd, CRI-O and podman put into a
   bundle.  */
#include "config.h"

#include <sys/stat.h>

#include "tests/unit/unit.h"

#include "common/json.h"
#include "common/fileutil.h"
#include "policy/identity.h"

static json_t
parse_text (const char *text)
{
  vigil_error_t err = NULL;
  json_t v = NULL;

  assert_int_equal (json_parse (text, strlen (text), &v, &err), 0);
  return v;
}

static const char *cluster;

static void
identify (const char *config_text, const char *bundle, const char *id, const char *mountinfo,
          struct model_identity *out)
{
  json_t config = parse_text (config_text);
  vigil_error_t err = NULL;

  assert_int_equal (model_identity_from_bundle (config, bundle, id, cluster, mountinfo, out, &err), 0);
  yajl_tree_free (config);
}

/* Annotations of a container (not the sandbox) created by containerd's
   CRI plugin: DefaultCRIAnnotations in pkg/cri/annotations.  */
static void
containerd_cri (void **state)
{
  struct model_identity id;

  (void) state;
  identify ("{\"annotations\":{"
            "\"io.kubernetes.cri.container-type\":\"container\","
            "\"io.kubernetes.cri.sandbox-id\":\"5f1c\","
            "\"io.kubernetes.cri.sandbox-namespace\":\"payments\","
            "\"io.kubernetes.cri.sandbox-uid\":\"0f0e\","
            "\"io.kubernetes.cri.sandbox-name\":\"api-7d4b9c-x2x9z\","
            "\"io.kubernetes.cri.container-name\":\"api\","
            "\"io.kubernetes.cri.image-name\":\"registry.local/shop/api:1.4\"}}",
            "/nonexistent", "c1", "/dev/null", &id);
  /* A tag, with no mounted rootfs to derive the image from.  */
  assert_string_equal (id.image, "registry.local/shop/api:1.4");
  assert_string_equal (id.namespace, "payments");
  assert_string_equal (id.pod_name, "api-7d4b9c-x2x9z");
  assert_string_equal (id.deployment, "api");
  assert_string_equal (id.container_name, "api");
  assert_string_equal (id.key, "-/payments/api/registry.local/shop/api:1.4");
  assert_non_null (strstr (id.source, "a name, not a digest"));
  assert_non_null (strstr (id.source, "deployment from the pod name"));
  model_identity_free (&id);

  /* kubelet passes the image id, which the plugin writes as image-name.  */
  cluster = "eu-1";
  identify ("{\"annotations\":{"
            "\"io.kubernetes.cri.sandbox-namespace\":\"payments\","
            "\"io.kubernetes.cri.sandbox-name\":\"db-0\","
            "\"io.kubernetes.cri.image-name\":\"sha256:9f86d081884c7d65\"}}",
            "/nonexistent", "c1", "/dev/null", &id);
  cluster = NULL;
  assert_string_equal (id.image, "sha256:9f86d081884c7d65");
  assert_string_equal (id.deployment, "db");
  assert_string_equal (id.key, "eu-1/payments/db/sha256:9f86d081884c7d65");
  assert_non_null (strstr (id.source, "cluster from the node configuration"));
  model_identity_free (&id);
}

/* Pod names as the controllers generate them.  */
static void
pod_owners (void **state)
{
  const char *cases[][2] = {
    { "api-7d4b9c5f6-x2x9z", "api" },      /* Deployment */
    { "my-web-app-5c8f7d9b4-qwz7k", "my-web-app" },
    { "fluentd-k8x2m", "fluentd" },         /* DaemonSet, Job */
    { "db-0", "db" },                       /* StatefulSet */
    { "redis-cluster-12", "redis-cluster" },
    { "standalone", "standalone" },         /* a bare pod */
    { "api-backend", "api-backend" },       /* "backend" has vowels: not generated */
    { "x-abcde", "x-abcde" },
  };
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      char *owner = pod_owner_from_name (cases[i][0]);
      if (strcmp (owner, cases[i][1]) != 0)
        fail_msg ("`%s`: owner `%s`, expected `%s`", cases[i][0], owner, cases[i][1]);
      free (owner);
    }
}

/* CRI-O's internal annotations (pkg/annotations) plus the kubelet label
   that names the container.  */
static void
crio (void **state)
{
  struct model_identity id;

  (void) state;
  identify ("{\"annotations\":{"
            "\"io.kubernetes.cri-o.ContainerType\":\"container\","
            "\"io.kubernetes.cri-o.ImageRef\":\"5e3a1f0b9c2d\","
            "\"io.kubernetes.cri-o.ImageName\":\"quay.io/shop/api:1.4\","
            "\"io.kubernetes.cri-o.Namespace\":\"payments\","
            "\"io.kubernetes.cri-o.Name\":\"k8s_api_api-7d4b9c-x2x9z_payments_0f0e_0\","
            "\"io.kubernetes.pod.namespace\":\"payments\","
            "\"io.kubernetes.cri-o.Labels\":\"{\\\"io.kubernetes.pod.name\\\":\\\"api-7d4b9c5f6-x2x9z\\\","
            "\\\"io.kubernetes.pod.namespace\\\":\\\"payments\\\"}\","
            "\"io.kubernetes.container.name\":\"api\"}}",
            "/nonexistent", "c1", "/dev/null", &id);
  assert_string_equal (id.image, "sha256:5e3a1f0b9c2d");
  assert_string_equal (id.image_name, "quay.io/shop/api:1.4");
  assert_string_equal (id.namespace, "payments");
  assert_string_equal (id.container_name, "api");
  /* The pod name is a kubelet label, inside the Labels annotation.  */
  assert_string_equal (id.pod_name, "api-7d4b9c5f6-x2x9z");
  assert_string_equal (id.key, "-/payments/api/sha256:5e3a1f0b9c2d");
  model_identity_free (&id);
}

/* vigil.image wins over the engine's annotations.  */
static void
explicit_annotation_wins (void **state)
{
  struct model_identity id;

  (void) state;
  identify ("{\"annotations\":{\"vigil.image\":\"sha256:feed\",\"vigil.namespace\":\"qa\","
            "\"vigil.deployment\":\"web\",\"io.kubernetes.cri.sandbox-name\":\"api-7d4b9c5f6-x2x9z\","
            "\"io.kubernetes.cri.image-name\":\"other\","
            "\"io.kubernetes.cri.sandbox-namespace\":\"payments\"}}",
            "/nonexistent", "c1", "/dev/null", &id);
  assert_string_equal (id.image, "sha256:feed");
  assert_string_equal (id.namespace, "qa");
  assert_string_equal (id.deployment, "web");
  assert_string_equal (id.key, "-/qa/web/sha256:feed");
  assert_string_equal (id.source, "image from annotation vigil.image, namespace from the pod annotations, "
                                  "deployment from annotation vigil.deployment");
  model_identity_free (&id);
}

/* podman: the bundle is STORAGE/overlay-containers/ID/userdata and
   STORAGE/overlay-containers/containers.json has the image id.  */
static void
podman_containers_storage (void **state)
{
  char *dir = make_temp_dir ();
  char *bundle = NULL, *list = NULL;
  char *fixture = NULL, *text = NULL;
  vigil_error_t err = NULL;
  struct model_identity id;
  size_t len;

  (void) state;
  assert_true (asprintf (&bundle, "%s/overlay-containers/0123abcd/userdata", dir) > 0);
  assert_int_equal (mkdir_parents (bundle, 0755, &err), 0);
  assert_true (asprintf (&list, "%s/overlay-containers/containers.json", dir) > 0);
  write_text (list, "[{\"id\":\"ffff\",\"names\":[\"other\"],\"image\":\"1111\"},"
                    "{\"id\":\"0123abcd\",\"names\":[\"web\"],\"image\":\"9d5c8f00\","
                    "\"layer\":\"aa\",\"metadata\":\"{}\"}]");
  free (list);
  assert_true (asprintf (&list, "%s/overlay-images", dir) > 0);
  assert_int_equal (mkdir_parents (list, 0755, &err), 0);
  free (list);
  assert_true (asprintf (&list, "%s/overlay-images/images.json", dir) > 0);
  write_text (list, "[{\"id\":\"9d5c8f00\",\"names\":[\"localhost/shop/web:2\"]}]");

  /* The annotations podman 4.3 really writes, from the fixture.  */
  assert_true (asprintf (&fixture, "%s/podman-4.3-runc-default-seccomp.json", FIXTURES_DIR) > 0);
  assert_int_equal (read_file (fixture, 1 << 20, &text, &len, &err), 0);
  identify (text, bundle, "0123abcd", "/dev/null", &id);
  assert_string_equal (id.image, "sha256:9d5c8f00");
  assert_string_equal (id.image_name, "localhost/shop/web:2");
  assert_string_equal (id.container_name, "web");
  assert_null (id.namespace);
  assert_string_equal (id.key, "-/-/-/sha256:9d5c8f00");
  assert_string_equal (id.source, "image from containers-storage");
  model_identity_free (&id);

  remove_tree (dir);
  free (dir);
  free (bundle);
  free (list);
  free (fixture);
  free (text);
}

/* ctr run: no annotations; the overlay lower directories of the mounted
   rootfs stand for the image.  */
static void
ctr_overlay_lowerdir (void **state)
{
  char *dir = make_temp_dir ();
  char *rootfs = NULL, *mountinfo = NULL, *line = NULL, *fixture = NULL, *text = NULL;
  char *tag_key;
  struct model_identity a, b;
  vigil_error_t err = NULL;
  size_t len;

  (void) state;
  assert_true (asprintf (&rootfs, "%s/rootfs", dir) > 0);
  assert_int_equal (mkdir (rootfs, 0755), 0);
  assert_true (asprintf (&mountinfo, "%s/mountinfo", dir) > 0);
  assert_true (asprintf (&line,
                         "22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n"
                         "812 29 0:75 / %s rw,relatime - overlay overlay "
                         "rw,lowerdir=/var/lib/containerd/snapshots/7/fs:/var/lib/containerd/snapshots/3/fs,"
                         "upperdir=/var/lib/containerd/snapshots/9/fs,workdir=/var/lib/containerd/snapshots/9/work\n",
                         rootfs)
               > 0);
  write_text (mountinfo, line);
  assert_true (asprintf (&fixture, "%s/containerd-1.6-ctr-run.json", FIXTURES_DIR) > 0);
  assert_int_equal (read_file (fixture, 1 << 20, &text, &len, &err), 0);

  /* As containerd 1.6's shim mounts it: no optional fields.  */
  identify (text, dir, "t1", mountinfo, &a);
  assert_true (strncmp (a.image, "lowerdir:", 9) == 0);
  assert_non_null (strstr (a.source, "overlay lower directories"));
  /* A second container of the same image gets the same key.  */
  identify (text, dir, "t2", mountinfo, &b);
  assert_string_equal (a.key, b.key);
  model_identity_free (&a);
  model_identity_free (&b);

  /* Two tags of one image under CRI share the snapshot, so the model;
     the tag is kept as the image's name.  */
  free (text);
  assert_true (asprintf (&text, "{\"annotations\":{\"io.kubernetes.cri.image-name\":\"shop/api:1.4\"}}") > 0);
  identify (text, dir, "t3", mountinfo, &a);
  free (text);
  assert_true (asprintf (&text, "{\"annotations\":{\"io.kubernetes.cri.image-name\":\"shop/api:stable\"}}") > 0);
  identify (text, dir, "t4", mountinfo, &b);
  assert_string_equal (a.key, b.key);
  assert_string_equal (a.image_name, "shop/api:1.4");
  assert_string_equal (b.image_name, "shop/api:stable");
  tag_key = strdup (b.key);
  model_identity_free (&a);
  model_identity_free (&b);

  /* The same tag on other layers (a new digest) is another model.  */
  free (line);
  assert_true (asprintf (&line,
                         "812 29 0:75 / %s rw,relatime - overlay overlay "
                         "rw,lowerdir=/var/lib/containerd/snapshots/8/fs,upperdir=/u,workdir=/w\n",
                         rootfs)
               > 0);
  write_text (mountinfo, line);
  identify (text, dir, "t5", mountinfo, &a);
  assert_string_not_equal (a.key, tag_key);
  model_identity_free (&a);
  free (tag_key);

  remove_tree (dir);
  free (dir);
  free (rootfs);
  free (mountinfo);
  free (line);
  free (fixture);
  free (text);
}

/* Nothing names the image: the rootfs path does, and the source field records that.  */
static void
rootfs_fallback (void **state)
{
  struct model_identity id;

  (void) state;
  identify ("{\"root\":{\"path\":\"/srv/roots/web\"}}", "/nonexistent", "c1", "/dev/null", &id);
  assert_string_equal (id.image, "rootfs:/srv/roots/web");
  assert_string_equal (id.key, "-/-/-/rootfs:/srv/roots/web");
  assert_non_null (strstr (id.source, "no image information"));
  model_identity_free (&id);
}

static void
hash_is_stable (void **state)
{
  char a[17], b[17], c[17];

  (void) state;
  vigil_hash_hex ("payments/sha256:ab", a);
  vigil_hash_hex ("payments/sha256:ab", b);
  vigil_hash_hex ("payments/sha256:ac", c);
  assert_string_equal (a, b);
  assert_string_not_equal (a, c);
  assert_int_equal (strlen (a), 16);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (containerd_cri),
    cmocka_unit_test (pod_owners),
    cmocka_unit_test (crio),
    cmocka_unit_test (explicit_annotation_wins),
    cmocka_unit_test (podman_containers_storage),
    cmocka_unit_test (ctr_overlay_lowerdir),
    cmocka_unit_test (rootfs_fallback),
    cmocka_unit_test (hash_is_stable),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
