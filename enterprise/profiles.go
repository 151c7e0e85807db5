package enterprise

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"

	"policybot/internal/atomicfile"
	"policybot/state"
)

// Profiles keeps enterprise profiles by key: "wechat:<openid>" for a
// WeChat user (the channel's namespace, as conversation sessions have),
// "console:<id>" for a caller an agent set one up for. A missing profile is
// state.ErrNotFound. postgres.Store implements it with the postgres store,
// FileProfiles otherwise.
type Profiles interface {
	Profile(ctx context.Context, key string) (Profile, error)
	SaveProfile(ctx context.Context, key string, p Profile) error
	// DeleteProfile removes a profile and its subscription; deleting a
	// missing one is no error.
	DeleteProfile(ctx context.Context, key string) error
	// SetSubscribed turns pushes of new policies on or off for the profile
	// under key (state.ErrNotFound when there is none). Saving a profile
	// keeps its subscription.
	SetSubscribed(ctx context.Context, key string, on bool) error
	// Subscribers returns every subscribed profile, in key order.
	Subscribers(ctx context.Context) ([]Subscriber, error)
}

// Subscriber is a subscribed profile.
type Subscriber struct {
	Key     string
	Profile Profile
}

// record is a profile as FileProfiles keeps it: the profile's fields inline
// (files written before subscriptions read as unsubscribed).
type record struct {
	Profile
	Subscribed bool `json:"subscribed,omitempty"`
}

// FileProfiles keeps profiles in memory and, when it has a path, in a JSON
// file there, rewritten whole and atomically on each change: profiles are
// few (one per enterprise that set one up) and small.
type FileProfiles struct {
	path string
	mu   sync.Mutex
	m    map[string]record
}

// NewFileProfiles loads the profiles kept at path ("" keeps them in memory
// only); a missing file is an empty store.
func NewFileProfiles(path string) (*FileProfiles, error) {
	f := &FileProfiles{path: path, m: map[string]record{}}
	if path == "" {
		return f, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err == nil {
		err = json.Unmarshal(data, &f.m)
	}
	if err != nil {
		return nil, fmt.Errorf("profiles %s: %w", path, err)
	}
	return f, nil
}

func (f *FileProfiles) Profile(_ context.Context, key string) (Profile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.m[key]
	if !ok {
		return Profile{}, fmt.Errorf("profile: %w", state.ErrNotFound)
	}
	return r.Profile, nil
}

func (f *FileProfiles) SaveProfile(_ context.Context, key string, p Profile) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	old, had := f.m[key]
	f.m[key] = record{Profile: p, Subscribed: old.Subscribed}
	if err := f.write(); err != nil {
		if had {
			f.m[key] = old
		} else {
			delete(f.m, key)
		}
		return err
	}
	return nil
}

func (f *FileProfiles) DeleteProfile(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	old, had := f.m[key]
	if !had {
		return nil
	}
	delete(f.m, key)
	if err := f.write(); err != nil {
		f.m[key] = old
		return err
	}
	return nil
}

func (f *FileProfiles) SetSubscribed(_ context.Context, key string, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	old, had := f.m[key]
	if !had {
		return fmt.Errorf("profile: %w", state.ErrNotFound)
	}
	r := old
	r.Subscribed = on
	f.m[key] = r
	if err := f.write(); err != nil {
		f.m[key] = old
		return err
	}
	return nil
}

func (f *FileProfiles) Subscribers(context.Context) ([]Subscriber, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Subscriber
	for _, k := range slices.Sorted(maps.Keys(f.m)) {
		if r := f.m[k]; r.Subscribed {
			out = append(out, Subscriber{Key: k, Profile: r.Profile})
		}
	}
	return out, nil
}

// write saves the map (f.mu held); the memory copy is rolled back by the
// caller when it fails, so the two never disagree.
func (f *FileProfiles) write() error {
	if f.path == "" {
		return nil
	}
	data, err := json.Marshal(f.m)
	if err == nil {
		err = atomicfile.WriteFile(f.path, data)
	}
	if err != nil {
		return fmt.Errorf("profiles %s: %w", f.path, err)
	}
	return nil
}
