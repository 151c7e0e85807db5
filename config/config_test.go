package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "db-url")
	if err := os.WriteFile(secret, []byte("postgres://u@h/db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(yml, []byte("region: 北京市\nllm:\n  timeout: 2s\nwechat:\n  menu:\n    LOAN: 小微企业续贷怎么办\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("Defaults", func(t *testing.T) {
		c, err := Load("", env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if c.Listen != "127.0.0.1:8080" || c.Store != "memory" || strings.Join(c.Corpus, ":") != "seeds" {
			t.Fatalf("defaults: %+v", c)
		}
	})
	t.Run("EmptyFile", func(t *testing.T) {
		if _, err := Load(empty, env(nil)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("FileThenEnv", func(t *testing.T) {
		c, err := Load(yml, env(map[string]string{
			"POLICYBOT_CORPUS":            "seeds:/srv/corpus",
			"POLICYBOT_STORE":             "postgres",
			"POLICYBOT_DATABASE_URL_FILE": secret,
			"POLICYBOT_REGION":            "天津市",
			"POLICYBOT_API_TOKENS":        "a, b",
		}))
		if err != nil {
			t.Fatal(err)
		}
		if c.Region != "天津市" || c.DatabaseURL != "postgres://u@h/db" || len(c.Corpus) != 2 || len(c.APITokens) != 2 {
			t.Fatalf("got %+v", c)
		}
		if c.LLM.Timeout.D() != 2*time.Second || c.WeChat.Menu["LOAN"] == "" {
			t.Fatalf("file values lost: %+v", c)
		}
		for _, line := range c.Effective() {
			if strings.Contains(line, "postgres://u@h/db") {
				t.Fatalf("secret printed: %s", line)
			}
		}
	})
	for _, tc := range []struct {
		name, file string
		env        map[string]string
		wantKey    string
	}{
		{"ErrStore", "", map[string]string{"POLICYBOT_STORE": "sqlite"}, "store"},
		{"ErrDatabaseURL", "", map[string]string{"POLICYBOT_STORE": "postgres"}, "database_url"},
		{"ErrListen", "", map[string]string{"POLICYBOT_LISTEN": "8080"}, "listen"},
		{"ErrEmbedderModel", "", map[string]string{"POLICYBOT_EMBEDDER": "openai", "POLICYBOT_EMBEDDINGS_BASE_URL": "http://x/v1"}, "embeddings.model"},
		{"ErrDuration", "", map[string]string{"POLICYBOT_ANSWER_BUDGET": "soon"}, "POLICYBOT_ANSWER_BUDGET"},
		{"ErrAESKey", "", map[string]string{"POLICYBOT_WECHAT_TOKEN": "t", "POLICYBOT_WECHAT_ENCODING_AES_KEY": "short"}, "wechat.encoding_aes_key"},
		{"ErrSecretFile", "", map[string]string{"POLICYBOT_LLM_API_KEY_FILE": filepath.Join(dir, "missing")}, "POLICYBOT_LLM_API_KEY_FILE"},
		{"ErrUnknownKey", writeFile(t, dir, "bad.yaml", "lisen: x\n"), nil, "lisen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.file, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.wantKey) {
				t.Fatalf("err = %v, want one naming %s", err, tc.wantKey)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The example file and the README document every key.
func TestDocumented(t *testing.T) {
	example, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Fields {
		if !strings.Contains(string(example), f.Env) {
			t.Errorf("config.example.yaml does not mention %s", f.Env)
		}
		if !strings.Contains(string(readme), f.Env) {
			t.Errorf("README.md does not mention %s", f.Env)
		}
	}
	c, err := Load("../config.example.yaml", env(nil))
	if err != nil {
		t.Fatalf("example does not load: %v", err)
	}
	if c.Listen != Default().Listen {
		t.Fatalf("example listen %q", c.Listen)
	}
}
