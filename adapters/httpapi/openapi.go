package httpapi

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of the API, served at
// /api/v1/openapi.json; TestOpenAPIMatchesRoutes keeps it true.
//
//go:embed openapi.json
var OpenAPI []byte
