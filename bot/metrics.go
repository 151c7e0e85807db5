package bot

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	messages   *prometheus.CounterVec
	duplicates prometheus.Counter
	latency    prometheus.Histogram
	asyncSends *prometheus.CounterVec
	pushes     *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "policybot_wechat_messages_total",
			Help: "WeChat pushes by message type and outcome.",
		}, []string{"type", "outcome"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "policybot_wechat_duplicate_deliveries_total",
			Help: "WeChat deliveries of a message already claimed (retries), on any replica.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "policybot_answer_latency_seconds",
			Help:    "Time the answer service took for a WeChat question.",
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 4.5, 6, 10, 30},
		}),
		asyncSends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "policybot_wechat_async_sends_total",
			Help: "Late answers pushed through the customer-service API, by result (ok, cannot_push, error).",
		}, []string{"result"}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "policybot_policy_pushes_total",
			Help: "Pushes of new policies to subscribed enterprises, by outcome (customer_service, template, quiet_hours, daily_cap, not_following, failed).",
		}, []string{"outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.messages, m.duplicates, m.latency, m.asyncSends, m.pushes} {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if errors.As(err, &already) {
				return nil, fmt.Errorf("register metrics: %w (one Handler per registry)", err)
			}
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}
