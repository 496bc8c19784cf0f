module github.com/ecgridkit/ecgrid

go 1.23.0

require (
	github.com/go-resty/resty/v2 v2.17.2
	github.com/h2non/gock v1.2.0
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
	golang.org/x/term v0.34.0
)

require (
	github.com/h2non/parth v0.0.0-20190131123155-b4df798d6542 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.43.0 // indirect
	golang.org/x/sys v0.35.0 // indirect
)
