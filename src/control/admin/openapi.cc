// The admin API's OpenAPI 3.1 document, served at /admin/v1/openapi.json. Kept by hand next to
// the router (a unit test checks that every route the router knows is described here). Data,
// not code: its length is the API's, and it is read as JSON, not as C++.
#include "control/admin/openapi.h"

namespace nexus::control::admin {

std::string_view openapi_document() {
  static constexpr std::string_view kDocument = R"json({
  "openapi": "3.1.0",
  "info": {
    "title": "Nexus admin API",
    "version": "1",
    "description": "Organizations, teams, users and virtual keys; usage, spend, budgets and the audit log. Every call is authorized by the caller's role and scope and every change is audited. Amounts are decimal USD; times are RFC 3339 (UTC)."
  },
  "servers": [{"url": "/admin/v1"}],
  "security": [{"bearer": []}],
  "paths": {
    "/orgs": {
      "get": {
        "operationId": "list_orgs",
        "summary": "List orgs the caller may read",
        "description": "An admin sees every organization; anyone else, their own.",
        "parameters": [
          {"$ref": "#/components/parameters/After"},
          {"$ref": "#/components/parameters/Limit"}
        ],
        "responses": {
          "200": {
            "description": "A page of orgs",
            "content": {
              "application/json": {
                "schema": {
                  "allOf": [
                    {"$ref": "#/components/schemas/Page"},
                    {
                      "type": "object",
                      "properties": {
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Org"}}
                      }
                    }
                  ]
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"}
        }
      },
      "post": {
        "operationId": "create_org",
        "summary": "Create a org",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrgCreate"}}}
        },
        "responses": {
          "201": {
            "description": "The new org",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Org"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      }
    },
    "/orgs/{id}": {
      "parameters": [{"$ref": "#/components/parameters/Id"}],
      "get": {
        "operationId": "get_org",
        "summary": "Read a org",
        "responses": {
          "200": {
            "description": "The org",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Org"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      },
      "patch": {
        "operationId": "update_org",
        "summary": "Change a org (fields absent are kept)",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrgUpdate"}}}
        },
        "responses": {
          "200": {
            "description": "The changed org",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Org"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      },
      "delete": {
        "operationId": "delete_org",
        "summary": "Delete a org",
        "description": "Refused (409) while users or live keys still belong to it.",
        "responses": {
          "200": {
            "description": "Deleted",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {"id": {"type": "string"}, "deleted": {"const": true}}
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      }
    },
    "/teams": {
      "get": {
        "operationId": "list_teams",
        "summary": "List teams the caller may read",
        "description": "Organization admins and viewers see their organization's teams; team admins and members their own team.",
        "parameters": [
          {
            "name": "org_id",
            "in": "query",
            "required": false,
            "description": "Only this organization's (an admin sees every organization's without it)",
            "schema": {"type": "string"}
          },
          {"$ref": "#/components/parameters/After"},
          {"$ref": "#/components/parameters/Limit"}
        ],
        "responses": {
          "200": {
            "description": "A page of teams",
            "content": {
              "application/json": {
                "schema": {
                  "allOf": [
                    {"$ref": "#/components/schemas/Page"},
                    {
                      "type": "object",
                      "properties": {
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Team"}}
                      }
                    }
                  ]
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"}
        }
      },
      "post": {
        "operationId": "create_team",
        "summary": "Create a team",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TeamCreate"}}}
        },
        "responses": {
          "201": {
            "description": "The new team",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Team"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      }
    },
    "/teams/{id}": {
      "parameters": [{"$ref": "#/components/parameters/Id"}],
      "get": {
        "operationId": "get_team",
        "summary": "Read a team",
        "responses": {
          "200": {
            "description": "The team",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Team"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      },
      "patch": {
        "operationId": "update_team",
        "summary": "Change a team (fields absent are kept)",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TeamUpdate"}}}
        },
        "responses": {
          "200": {
            "description": "The changed team",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Team"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      },
      "delete": {
        "operationId": "delete_team",
        "summary": "Delete a team",
        "description": "Refused (409) while users or live keys still belong to it.",
        "responses": {
          "200": {
            "description": "Deleted",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {"id": {"type": "string"}, "deleted": {"const": true}}
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      }
    },
    "/users": {
      "get": {
        "operationId": "list_users",
        "summary": "List users the caller may read",
        "description": "Nobody grants a role more powerful than their own. A duplicate name is a 409.",
        "parameters": [
          {
            "name": "org_id",
            "in": "query",
            "required": false,
            "description": "Only this organization's (an admin sees every organization's without it)",
            "schema": {"type": "string"}
          },
          {
            "name": "team_id",
            "in": "query",
            "required": false,
            "description": "Only this team's",
            "schema": {"type": "string"}
          },
          {"$ref": "#/components/parameters/After"},
          {"$ref": "#/components/parameters/Limit"}
        ],
        "responses": {
          "200": {
            "description": "A page of users",
            "content": {
              "application/json": {
                "schema": {
                  "allOf": [
                    {"$ref": "#/components/schemas/Page"},
                    {
                      "type": "object",
                      "properties": {
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}
                      }
                    }
                  ]
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"}
        }
      },
      "post": {
        "operationId": "create_user",
        "summary": "Create a user",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserCreate"}}}
        },
        "responses": {
          "201": {
            "description": "The new user",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      }
    },
    "/users/{id}": {
      "parameters": [{"$ref": "#/components/parameters/Id"}],
      "get": {
        "operationId": "get_user",
        "summary": "Read a user",
        "responses": {
          "200": {
            "description": "The user",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      },
      "patch": {
        "operationId": "update_user",
        "summary": "Change a user (fields absent are kept)",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserUpdate"}}}
        },
        "responses": {
          "200": {
            "description": "The changed user",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      },
      "delete": {
        "operationId": "delete_user",
        "summary": "Delete a user",
        "description": "Refused (409) while users or live keys still belong to it.",
        "responses": {
          "200": {
            "description": "Deleted",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {"id": {"type": "string"}, "deleted": {"const": true}}
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      }
    },
    "/keys": {
      "get": {
        "operationId": "list_keys",
        "summary": "List keys the caller may read",
        "description": "The secret is never listed: only its prefix.",
        "parameters": [
          {
            "name": "org_id",
            "in": "query",
            "required": false,
            "description": "Only this organization's (an admin sees every organization's without it)",
            "schema": {"type": "string"}
          },
          {
            "name": "team_id",
            "in": "query",
            "required": false,
            "description": "Only this team's",
            "schema": {"type": "string"}
          },
          {
            "name": "user_id",
            "in": "query",
            "required": false,
            "description": "Only this user's",
            "schema": {"type": "string"}
          },
          {"$ref": "#/components/parameters/After"},
          {"$ref": "#/components/parameters/Limit"}
        ],
        "responses": {
          "200": {
            "description": "A page of keys",
            "content": {
              "application/json": {
                "schema": {
                  "allOf": [
                    {"$ref": "#/components/schemas/Page"},
                    {
                      "type": "object",
                      "properties": {
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Key"}}
                      }
                    }
                  ]
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"}
        }
      },
      "post": {
        "operationId": "create_key",
        "summary": "Create a key",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/KeyCreate"}}}
        },
        "responses": {
          "201": {
            "description": "The new key",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewKey"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      }
    },
    "/keys/{id}": {
      "parameters": [{"$ref": "#/components/parameters/Id"}],
      "get": {
        "operationId": "get_key",
        "summary": "Read a key",
        "responses": {
          "200": {
            "description": "The key",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Key"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      },
      "patch": {
        "operationId": "update_key",
        "summary": "Change a key (fields absent are kept)",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/KeyUpdate"}}}
        },
        "responses": {
          "200": {
            "description": "The changed key",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Key"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      }
    },
    "/keys/{id}/rotate": {
      "parameters": [{"$ref": "#/components/parameters/Id"}],
      "post": {
        "operationId": "rotate_key",
        "summary": "Rotate a key: a new secret, same id; the old secret works for the grace period",
        "description": "The key keeps its id, settings, limits, budget and usage; only its secret changes. The secret it replaces keeps working until `previous_valid_until` (now + grace_period). A second rotation within a grace period replaces that previous secret: the one before it stops working at once. Revoking the key ends both secrets. 409 for a revoked or expired key.",
        "requestBody": {
          "required": false,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Rotate"}}}
        },
        "responses": {
          "200": {
            "description": "The key (same id), with its new secret (shown once)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewKey"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      }
    },
    "/keys/{id}/revoke": {
      "parameters": [{"$ref": "#/components/parameters/Id"}],
      "post": {
        "operationId": "revoke_key",
        "summary": "Revoke a key now (every secret of it, the one a rotation replaced too)",
        "responses": {
          "200": {
            "description": "The revoked key",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Key"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"}
        }
      }
    },
    "/usage": {
      "get": {
        "operationId": "query_usage",
        "summary": "Usage and spend, summed by a dimension over [from, to)",
        "description": "Without a scope filter: the caller's own scope (an admin's is everything). At most one of org_id, team_id, user_id and key_id.",
        "parameters": [
          {
            "name": "group_by",
            "in": "query",
            "required": false,
            "description": "The dimension",
            "schema": {"enum": ["key", "user", "team", "org", "model", "day"], "default": "day"}
          },
          {
            "name": "from",
            "in": "query",
            "required": false,
            "description": "RFC 3339 time or date (default: the beginning)",
            "schema": {"type": "string"}
          },
          {
            "name": "to",
            "in": "query",
            "required": false,
            "description": "RFC 3339 time or date, exclusive (default: now)",
            "schema": {"type": "string"}
          },
          {
            "name": "org_id",
            "in": "query",
            "required": false,
            "description": "Only this organization's (an admin sees every organization's without it)",
            "schema": {"type": "string"}
          },
          {
            "name": "team_id",
            "in": "query",
            "required": false,
            "description": "Only this team's",
            "schema": {"type": "string"}
          },
          {
            "name": "user_id",
            "in": "query",
            "required": false,
            "description": "Only this user's",
            "schema": {"type": "string"}
          },
          {
            "name": "key_id",
            "in": "query",
            "required": false,
            "description": "Only this key's",
            "schema": {"type": "string"}
          },
          {"$ref": "#/components/parameters/After"},
          {"$ref": "#/components/parameters/Limit"}
        ],
        "responses": {
          "200": {
            "description": "A page of rows, ordered by group",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UsagePage"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      }
    },
    "/budgets/{scope}/{id}": {
      "parameters": [
        {
          "name": "scope",
          "in": "path",
          "required": true,
          "schema": {"enum": ["org", "team", "user", "key"]}
        },
        {"$ref": "#/components/parameters/Id"}
      ],
      "get": {
        "operationId": "budget_state",
        "summary": "A scope's limits and budget: spend in the current period, its start, end and reset time",
        "responses": {
          "200": {
            "description": "The state",
            "content": {
              "application/json": {"schema": {"$ref": "#/components/schemas/BudgetState"}}
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      }
    },
    "/ledger": {
      "get": {
        "operationId": "ledger_state",
        "summary": "The usage ledger writer's queue and throughput (admin only)",
        "responses": {
          "200": {
            "description": "The writer's statistics",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "pending": {"type": "integer", "description": "Records not yet committed"},
                    "pending_high_water": {"type": "integer"},
                    "records_written": {"type": "integer"},
                    "batches": {"type": "integer"},
                    "commit_failures": {"type": "integer"},
                    "retries": {"type": "integer"},
                    "abandoned": {"type": "integer"},
                    "last_commit_us": {"type": "integer"}
                  }
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      }
    },
    "/audit": {
      "get": {
        "operationId": "list_audit",
        "summary": "The audit log, oldest first (admins: all; organization admins and viewers: their organization's)",
        "parameters": [
          {
            "name": "from",
            "in": "query",
            "required": false,
            "description": "RFC 3339 time or date (default: the beginning)",
            "schema": {"type": "string"}
          },
          {"$ref": "#/components/parameters/After"},
          {"$ref": "#/components/parameters/Limit"}
        ],
        "responses": {
          "200": {
            "description": "A page of entries",
            "content": {
              "application/json": {
                "schema": {
                  "allOf": [
                    {"$ref": "#/components/schemas/Page"},
                    {
                      "type": "object",
                      "properties": {
                        "data": {
                          "type": "array",
                          "items": {"$ref": "#/components/schemas/AuditEntry"}
                        }
                      }
                    }
                  ]
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "400": {"$ref": "#/components/responses/BadRequest"}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openapi",
        "summary": "This document",
        "security": [],
        "responses": {
          "200": {
            "description": "OpenAPI 3.1",
            "content": {"application/json": {"schema": {"type": "object"}}}
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "The admin key (role admin), or a user's virtual key (nx-...): the user's role and scope"
      }
    },
    "parameters": {
      "Id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
      "After": {
        "name": "after",
        "in": "query",
        "required": false,
        "description": "The `next` of the previous page",
        "schema": {"type": "string"}
      },
      "Limit": {
        "name": "limit",
        "in": "query",
        "required": false,
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
      }
    },
    "responses": {
      "BadRequest": {
        "description": "A malformed body or parameter; `param` names it",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "Unauthorized": {
        "description": "No credentials, or unknown, revoked or expired ones",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "Forbidden": {
        "description": "The caller's role or scope does not allow it (type permission_error)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "NotFound": {
        "description": "No object with this id",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "Conflict": {
        "description": "A duplicate name, a key already revoked, an object still in use",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      }
    },
    "schemas": {
      "Page": {
        "type": "object",
        "required": ["data", "next"],
        "properties": {
          "data": {"type": "array"},
          "next": {
            "type": ["string", "null"],
            "description": "Pass as `after` for the next page; null on the last page."
          }
        }
      },
      "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
          "error": {
            "type": "object",
            "required": ["message", "type", "code"],
            "properties": {
              "message": {"type": "string"},
              "type": {
                "type": "string",
                "examples": [
                  "invalid_request_error",
                  "authentication_error",
                  "permission_error",
                  "server_error"
                ]
              },
              "param": {
                "type": "string",
                "description": "The body field or query parameter at fault"
              },
              "code": {"type": "string"}
            }
          }
        }
      },
      "Limits": {
        "type": "object",
        "properties": {
          "rpm": {"type": "integer", "minimum": 0, "description": "Requests per minute; 0: none"},
          "tpm": {
            "type": "integer",
            "minimum": 0,
            "description": "Tokens per minute, input + output; 0: none"
          },
          "max_parallel": {
            "type": "integer",
            "minimum": 0,
            "description": "Requests in flight at once; 0: none"
          }
        },
        "additionalProperties": false
      },
      "ModelLimits": {
        "type": "object",
        "properties": {
          "model": {"type": "string"},
          "rpm": {"type": "integer"},
          "tpm": {"type": "integer"},
          "max_parallel": {"type": "integer"}
        },
        "required": ["model"],
        "additionalProperties": false
      },
      "Budget": {
        "type": "object",
        "properties": {
          "hard_usd": {
            "type": "number",
            "minimum": 0,
            "description": "Requests are refused at this spend; 0: no cap"
          },
          "soft_usd": {
            "type": "number",
            "minimum": 0,
            "description": "An alert at this spend; 0: none"
          },
          "period": {"enum": ["daily", "weekly", "monthly", "total"], "default": "monthly"}
        },
        "additionalProperties": false
      },
      "Org": {
        "type": "object",
        "properties": {
          "id": {"type": "string"},
          "name": {"type": "string"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          },
          "created_at": {"type": "string", "format": "date-time"}
        }
      },
      "OrgCreate": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          }
        },
        "required": ["name"],
        "additionalProperties": false
      },
      "OrgUpdate": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          }
        },
        "additionalProperties": false
      },
      "Team": {
        "type": "object",
        "properties": {
          "id": {"type": "string"},
          "org_id": {"type": "string"},
          "name": {"type": "string"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          },
          "created_at": {"type": "string", "format": "date-time"}
        }
      },
      "TeamCreate": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "org_id": {"type": "string", "description": "Default: the caller's organization"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          }
        },
        "required": ["name"],
        "additionalProperties": false
      },
      "TeamUpdate": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          }
        },
        "additionalProperties": false
      },
      "Role": {"enum": ["admin", "org_admin", "team_admin", "member", "viewer"]},
      "User": {
        "type": "object",
        "properties": {
          "id": {"type": "string"},
          "org_id": {"type": "string"},
          "team_id": {"type": ["string", "null"]},
          "name": {"type": "string"},
          "role": {"$ref": "#/components/schemas/Role"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          },
          "created_at": {"type": "string", "format": "date-time"}
        }
      },
      "UserCreate": {
        "type": "object",
        "properties": {
          "name": {"type": "string", "description": "Unique (e-mail or login)"},
          "org_id": {"type": "string"},
          "team_id": {"type": ["string", "null"]},
          "role": {"$ref": "#/components/schemas/Role"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          }
        },
        "required": ["name"],
        "additionalProperties": false
      },
      "UserUpdate": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "team_id": {"type": ["string", "null"]},
          "role": {"$ref": "#/components/schemas/Role"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          }
        },
        "additionalProperties": false
      },
      "Key": {
        "type": "object",
        "properties": {
          "id": {"type": "string"},
          "prefix": {"type": "string", "description": "The secret's first 12 characters"},
          "name": {"type": "string"},
          "org_id": {"type": "string"},
          "team_id": {"type": ["string", "null"]},
          "user_id": {"type": ["string", "null"]},
          "allowed_models": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Empty: every model"
          },
          "allowed_ips": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Addresses or CIDR ranges; empty: any"
          },
          "metadata": {"type": "object"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          },
          "created_at": {"type": "string", "format": "date-time"},
          "expires_at": {"type": ["string", "null"], "format": "date-time"},
          "revoked_at": {"type": ["string", "null"], "format": "date-time"},
          "previous_valid_until": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "After a rotation: until when the replaced secret still works (null: it no longer does)"
          },
          "status": {
            "enum": ["active", "expired", "revoked", "rotating"],
            "description": "rotating: the secret a rotation replaced still works"
          }
        }
      },
      "NewKey": {
        "allOf": [
          {"$ref": "#/components/schemas/Key"},
          {
            "type": "object",
            "required": ["key"],
            "properties": {
              "key": {
                "type": "string",
                "description": "The secret (nx-...): shown this once, never again"
              }
            }
          }
        ]
      },
      "KeyCreate": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "org_id": {"type": "string"},
          "team_id": {"type": "string"},
          "user_id": {"type": "string", "description": "A member's keys are always its own"},
          "allowed_models": {"type": "array", "items": {"type": "string"}},
          "allowed_ips": {"type": "array", "items": {"type": "string"}},
          "metadata": {"type": "object"},
          "expires_at": {"type": ["string", "null"], "format": "date-time"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          }
        },
        "required": ["name"],
        "additionalProperties": false
      },
      "KeyUpdate": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "allowed_models": {"type": "array", "items": {"type": "string"}},
          "allowed_ips": {"type": "array", "items": {"type": "string"}},
          "metadata": {"type": "object"},
          "expires_at": {"type": ["string", "null"], "format": "date-time"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          }
        },
        "additionalProperties": false
      },
      "Rotate": {
        "type": "object",
        "properties": {
          "grace_period": {
            "type": "integer",
            "minimum": 0,
            "maximum": 31622400,
            "default": 0,
            "description": "Seconds the replaced secret keeps working (0: it stops at once)"
          }
        },
        "additionalProperties": false
      },
      "UsageRow": {
        "type": "object",
        "properties": {
          "group": {
            "type": "string",
            "description": "The key, user, team or org id, the model, or the day (YYYY-MM-DD, UTC)"
          },
          "requests": {"type": "integer"},
          "input_tokens": {"type": "integer"},
          "output_tokens": {"type": "integer"},
          "cache_read_tokens": {"type": "integer"},
          "cache_write_tokens": {"type": "integer"},
          "reasoning_tokens": {"type": "integer"},
          "cost_usd": {"type": "number"}
        }
      },
      "UsagePage": {
        "allOf": [
          {
            "allOf": [
              {"$ref": "#/components/schemas/Page"},
              {
                "type": "object",
                "properties": {
                  "data": {"type": "array", "items": {"$ref": "#/components/schemas/UsageRow"}}
                }
              }
            ]
          },
          {
            "type": "object",
            "properties": {
              "group_by": {"type": "string"},
              "from": {"type": "string", "format": "date-time"},
              "to": {"type": "string", "format": "date-time"},
              "scope": {
                "type": "object",
                "properties": {
                  "kind": {"enum": ["org", "team", "user", "key"]},
                  "id": {"type": "string"}
                }
              }
            }
          }
        ]
      },
      "BudgetState": {
        "type": "object",
        "properties": {
          "scope": {"enum": ["org", "team", "user", "key"]},
          "id": {"type": "string"},
          "limits": {"$ref": "#/components/schemas/Limits"},
          "model_limits": {"type": "array", "items": {"$ref": "#/components/schemas/ModelLimits"}},
          "budget": {
            "oneOf": [{"$ref": "#/components/schemas/Budget"}, {"type": "null"}],
            "description": "null removes the budget"
          },
          "period": {
            "type": ["object", "null"],
            "properties": {
              "start": {"type": "string", "format": "date-time"},
              "end": {"type": ["string", "null"], "format": "date-time"}
            }
          },
          "spend_usd": {
            "type": ["number", "null"],
            "description": "Spent in the current period (from the usage ledger)"
          },
          "remaining_usd": {"type": ["number", "null"]},
          "resets_at": {"type": ["string", "null"], "format": "date-time"},
          "hard_exceeded": {"type": "boolean"},
          "soft_exceeded": {"type": "boolean"},
          "live": {
            "type": "object",
            "description": "This gateway process's counters now (absent when it has none)",
            "properties": {
              "in_flight": {"type": "integer"},
              "reserved_usd": {"type": "number", "description": "Held by requests in flight"},
              "requests_this_minute": {"type": "integer"},
              "tokens_this_minute": {"type": "integer"}
            }
          }
        }
      },
      "AuditEntry": {
        "type": "object",
        "properties": {
          "time": {"type": "string", "format": "date-time"},
          "actor": {"type": "string", "description": "A user id, or admin for the admin key"},
          "action": {"type": "string", "examples": ["key.create", "team.update"]},
          "target": {"type": "string"},
          "detail": {"type": "object", "description": "What changed; never a secret"}
        }
      }
    }
  }
})json";
  return kDocument;
}

}  // namespace nexus::control::admin
