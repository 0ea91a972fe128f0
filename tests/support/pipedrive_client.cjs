// Reads the Pipedrive emulator with Pipedrive's official Node client (npm `pipedrive`), as a customer's script
// would, and prints what it read as one JSON object. Run by tests/test_pipedrive_emulator_client.py with
// NODE_PATH=<the client's install folder>/node_modules, PIPEDRIVE_BASE=http://127.0.0.1:PORT, PIPEDRIVE_TOKEN.
const { v1, v2 } = require('pipedrive');

const base = process.env.PIPEDRIVE_BASE;
const apiKey = process.env.PIPEDRIVE_TOKEN;
const config2 = new v2.Configuration({ apiKey, basePath: `${base}/api/v2` });
const config1 = new v1.Configuration({ apiKey, basePath: `${base}/api/v1` });

async function allPages(fetchPage) {
  const pages = [];
  let cursor;
  do {
    const response = await fetchPage(cursor);
    pages.push(response.data.map((item) => item.id ?? `${item.field_key}:${item.new_value}`));
    cursor = response.additional_data ? response.additional_data.next_cursor : null;
  } while (cursor);
  return pages;
}

async function main() {
  const deals = new v2.DealsApi(config2);
  const out = {};
  out.deal_pages = await allPages((cursor) => deals.getDeals({ limit: 4, cursor }));
  out.deleted = (await deals.getDeals({ status: 'deleted' })).data.map((d) => d.id);
  out.changed_since = (await deals.getDeals({ updated_since: '2026-02-03T12:00:00Z', sort_by: 'update_time',
    sort_direction: 'desc' })).data.map((d) => d.id);
  const deal = (await deals.getDeal({ id: 2 })).data;
  out.deal_2 = { status: deal.status, value: deal.value, currency: deal.currency, stage_id: deal.stage_id,
    custom_fields: deal.custom_fields };
  out.changelog_pages = await allPages((cursor) =>
    new v1.DealsApi(config1).getDealChangelog({ id: 2, limit: 4, cursor }));
  out.pipelines = (await new v2.PipelinesApi(config2).getPipelines()).data.map((p) => p.name);
  out.stages = (await new v2.StagesApi(config2).getStages({ pipeline_id: 1 })).data.map((s) => s.id);
  out.persons = await allPages((cursor) => new v2.PersonsApi(config2).getPersons({ limit: 3, cursor }));
  out.organizations = (await new v2.OrganizationsApi(config2).getOrganizations()).data.map((o) => o.name);
  out.users = (await new v1.UsersApi(config1).getUsers()).data.map((u) => u.id);
  out.deal_fields = (await new v1.DealFieldsApi(config1).getDealFields()).data.length;
  try {
    await new v2.DealsApi(new v2.Configuration({ apiKey: 'wrong', basePath: `${base}/api/v2` })).getDeals();
    out.unauthorized = null;
  } catch (body) {
    out.unauthorized = body; // the client rejects with the error body the API sent
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
