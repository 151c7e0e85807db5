package tmpdeps

import (
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/pgvector/pgvector-go/pgx"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/sashabaranov/go-openai"
	_ "github.com/silenceper/wechat/v2/officialaccount"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/crypto/bcrypt"
	_ "golang.org/x/text/encoding/simplifiedchinese"
)
