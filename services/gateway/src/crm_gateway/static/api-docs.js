// The interactive page of the whole API (/api/schema/docs): Swagger UI over the merged OpenAPI document.
window.addEventListener("DOMContentLoaded", function () {
  window.SwaggerUIBundle({ url: "/api/schema/openapi.json", dom_id: "#api-docs", deepLinking: true });
});
