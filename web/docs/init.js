// Renders the server's own OpenAPI document (/openapi.json) with swagger-ui-dist, served by
// cardcore from web/node_modules: no request leaves the machine.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#reference",
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
  });
});
