"""The exact line ingest prints for each CRM source without its settings (the tests that run without them pin it)."""

HUBSPOT_SKIPPED = ("hubspot: skipped — no api_token configured (set api_token under [sources.hubspot] in "
                   ".dlt/secrets.toml or FUNNELHOUSE_HUBSPOT_TOKEN)")
SALESFORCE_SKIPPED = ("salesforce: skipped — no login_url/client_id/client_secret configured (set login_url under "
                      "[sources.salesforce] in .dlt/config.toml or FUNNELHOUSE_SALESFORCE_LOGIN_URL; client_id under "
                      "[sources.salesforce] in .dlt/secrets.toml or FUNNELHOUSE_SALESFORCE_CLIENT_ID; client_secret "
                      "under [sources.salesforce] in .dlt/secrets.toml or FUNNELHOUSE_SALESFORCE_CLIENT_SECRET)")
PIPEDRIVE_SKIPPED = ("pipedrive: skipped — no api_token configured (set api_token under [sources.pipedrive] in "
                     ".dlt/secrets.toml or FUNNELHOUSE_PIPEDRIVE_TOKEN)")
ZOHO_SKIPPED = ("zoho: skipped — no accounts_url/client_id/client_secret/refresh_token configured (set accounts_url "
                "under [sources.zoho] in .dlt/config.toml or FUNNELHOUSE_ZOHO_ACCOUNTS_URL; client_id under "
                "[sources.zoho] in .dlt/secrets.toml or FUNNELHOUSE_ZOHO_CLIENT_ID; client_secret under [sources.zoho] "
                "in .dlt/secrets.toml or FUNNELHOUSE_ZOHO_CLIENT_SECRET; refresh_token under [sources.zoho] in "
                ".dlt/secrets.toml or FUNNELHOUSE_ZOHO_REFRESH_TOKEN)")
