// Package profiletest is the conformance test every enterprise.Profiles
// implementation passes.
package profiletest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"policybot/enterprise"
	"policybot/state"
)

// Run checks save, read back, replace and delete on an empty store.
func Run(t *testing.T, s enterprise.Profiles) {
	ctx := context.Background()
	if _, err := s.Profile(ctx, "wechat:o1"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Profile(missing) error = %v, want ErrNotFound", err)
	}
	p := enterprise.Profile{Region: "天津市滨海新区", Size: "small", Industry: "零售业", Employees: 12, RevenueWan: 150.5,
		Qualifications: []string{"专精特新中小企业"}, FoundedYear: 2016}
	if err := s.SaveProfile(ctx, "wechat:o1", p); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Profile(ctx, "wechat:o1"); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("Profile = %+v, %v; want %+v", got, err, p)
	}
	// "none" and "not told" stay apart: an empty list is not a missing one.
	none := enterprise.Profile{Region: "北京市", Qualifications: []string{}}
	if err := s.SaveProfile(ctx, "wechat:o1", none); err != nil {
		t.Fatal(err)
	}
	got, err := s.Profile(ctx, "wechat:o1")
	if err != nil || got.Region != "北京市" || got.Qualifications == nil || len(got.Qualifications) != 0 {
		t.Fatalf("replaced Profile = %+v, %v; want %+v", got, err, none)
	}
	if err := s.SaveProfile(ctx, "console:c1", enterprise.Profile{Region: "上海市"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Profile(ctx, "console:c1"); err != nil || got.Qualifications != nil {
		t.Errorf("Profile(console:c1) = %+v, %v; want qualifications not known (nil)", got, err)
	}
	// Subscriptions: only of an existing profile, kept when it is saved
	// again, gone with it.
	if err := s.SetSubscribed(ctx, "wechat:nobody", true); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("subscribing without a profile: %v, want ErrNotFound", err)
	}
	if err := s.SetSubscribed(ctx, "wechat:o1", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveProfile(ctx, "wechat:o1", p); err != nil {
		t.Fatal(err)
	}
	subs, err := s.Subscribers(ctx)
	if err != nil || len(subs) != 1 || subs[0].Key != "wechat:o1" || !reflect.DeepEqual(subs[0].Profile, p) {
		t.Fatalf("Subscribers = %+v, %v; want wechat:o1 with its profile", subs, err)
	}
	if err := s.SetSubscribed(ctx, "console:c1", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSubscribed(ctx, "console:c1", false); err != nil {
		t.Fatal(err)
	}
	if subs, _ := s.Subscribers(ctx); len(subs) != 1 {
		t.Errorf("after unsubscribing console:c1: %+v", subs)
	}
	if err := s.DeleteProfile(ctx, "wechat:o1"); err != nil {
		t.Fatal(err)
	}
	if subs, _ := s.Subscribers(ctx); len(subs) != 0 {
		t.Errorf("a deleted profile is still subscribed: %+v", subs)
	}
	if err := s.SaveProfile(ctx, "wechat:o1", p); err != nil {
		t.Fatal(err)
	}
	if subs, _ := s.Subscribers(ctx); len(subs) != 0 {
		t.Errorf("a profile saved again after deletion came back subscribed: %+v", subs)
	}
	if err := s.DeleteProfile(ctx, "wechat:o1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Profile(ctx, "wechat:o1"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Profile after delete: %v, want ErrNotFound", err)
	}
	if err := s.DeleteProfile(ctx, "wechat:o1"); err != nil {
		t.Errorf("deleting a missing profile: %v", err)
	}
	if _, err := s.Profile(ctx, "console:c1"); err != nil {
		t.Errorf("another key's profile went too: %v", err)
	}
}
