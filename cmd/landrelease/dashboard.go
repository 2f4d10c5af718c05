package main

import (
	"net/http"

	"github.com/landrelease/landrelease/adapters/dashboard"
)

// dashboardHandler serves the web pages at / beside the API.
func dashboardHandler() http.Handler { return dashboard.Handler() }
