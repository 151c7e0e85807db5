// Package deploy holds the compose file; this test checks it against the
// configuration it feeds, since Docker itself cannot run in CI.
package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"policybot/config"
)

type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Secrets     []string          `yaml:"secrets"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

func load(t *testing.T) compose {
	t.Helper()
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

func TestServices(t *testing.T) {
	c := load(t)
	db, ok := c.Services["db"]
	if !ok || !strings.HasPrefix(db.Image, "pgvector/pgvector:pg17") {
		t.Fatalf("db service image %q, want pgvector/pgvector:pg17", db.Image)
	}
	if db.Environment["POSTGRES_PASSWORD_FILE"] == "" || len(db.Healthcheck.Test) == 0 {
		t.Error("db needs POSTGRES_PASSWORD_FILE and a health check")
	}
	ingest := c.Services["ingest"]
	if !slices.Equal(ingest.Command, []string{"ingest"}) || ingest.DependsOn["db"].Condition != "service_healthy" {
		t.Errorf("ingest: command %v, depends on %v", ingest.Command, ingest.DependsOn)
	}
	app := c.Services["policybot"]
	if !slices.Equal(app.Command, []string{"serve"}) ||
		app.DependsOn["ingest"].Condition != "service_completed_successfully" ||
		app.DependsOn["db"].Condition != "service_healthy" {
		t.Errorf("policybot: command %v, depends on %v", app.Command, app.DependsOn)
	}
	if !slices.Equal(app.Healthcheck.Test, []string{"CMD", "/policybot", "healthcheck"}) {
		t.Errorf("policybot health check %v", app.Healthcheck.Test)
	}
	if _, ok := c.Volumes["pgdata"]; !ok {
		t.Error("no pgdata volume")
	}
}

// TestEnvironmentMatchesConfig checks every POLICYBOT_* variable against
// config.Fields, secrets only through _FILE pointing at a declared Docker
// secret, and then loads each service's configuration as the binary would.
func TestEnvironmentMatchesConfig(t *testing.T) {
	c := load(t)
	known := map[string]config.Field{}
	for _, f := range config.Fields {
		known[f.Env] = f
	}
	for _, name := range []string{"ingest", "policybot"} {
		t.Run(name, func(t *testing.T) {
			svc := c.Services[name]
			dir := t.TempDir()
			env := map[string]string{}
			for k, v := range svc.Environment {
				if !strings.HasPrefix(k, "POLICYBOT_") {
					continue
				}
				if base, ok := strings.CutSuffix(k, "_FILE"); ok {
					f, ok := known[base]
					if !ok || !f.Secret {
						t.Errorf("%s: %s is not a secret key of config.Fields", name, k)
						continue
					}
					secret, ok := strings.CutPrefix(v, "/run/secrets/")
					if !ok || !slices.Contains(svc.Secrets, secret) || c.Secrets[secret].File == "" {
						t.Errorf("%s: %s=%s is not a secret the service mounts", name, k, v)
						continue
					}
					// Stand-in secret values, valid for the key.
					value := "s3cret"
					if base == "POLICYBOT_DATABASE_URL" {
						value = "postgres://policybot:pw@db:5432/policybot"
					}
					p := filepath.Join(dir, secret)
					if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
						t.Fatal(err)
					}
					env[k] = p
					continue
				}
				f, ok := known[k]
				if !ok {
					t.Errorf("%s: unknown configuration variable %s", name, k)
					continue
				}
				if f.Secret && v != "" {
					t.Errorf("%s: secret %s set in plain environment; use %s_FILE", name, k, k)
				}
				env[k] = v
			}
			cfg, err := config.Load("", func(k string) string { return env[k] })
			if err != nil {
				t.Fatalf("%s: configuration does not load: %v", name, err)
			}
			if cfg.Store != "postgres" || cfg.DatabaseURL == "" {
				t.Errorf("%s: store %q, database URL set %v", name, cfg.Store, cfg.DatabaseURL != "")
			}
		})
	}
}
