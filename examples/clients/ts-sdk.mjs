// Drives the official TypeScript SDK against ANTHROPIC_BASE_URL: create, stream, tool runner,
// parse with an output format, countTokens, models.list. Prints one JSON line per step; exits 1
// on the first SDK exception (the exception is the finding).
import Anthropic from '@anthropic-ai/sdk';
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';
import { jsonSchemaOutputFormat } from '@anthropic-ai/sdk/helpers/json-schema';

const model = process.env.MCONF_MODEL || 'claude-sonnet-4-6';
const client = new Anthropic({ maxRetries: 0 });
const user = (text) => [{ role: 'user', content: text }];

const steps = {
  async create() {
    const m = await client.messages.create({ model, max_tokens: 256, messages: user('Repeat exactly: hello from the TypeScript SDK') });
    return m.content.map((b) => b.text ?? b.type).join(' ');
  },
  async stream() {
    const m = await client.messages.stream({ model, max_tokens: 256, messages: user('Repeat exactly: streamed') }).finalMessage();
    return m.stop_reason;
  },
  async toolRunner() {
    const weather = betaTool({
      name: 'get_weather',
      description: 'The weather in a city',
      inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      run: async ({ city }) => `Sunny in ${city}`,
    });
    const runner = client.beta.messages.toolRunner({
      model, max_tokens: 512, tools: [weather], max_iterations: 4,
      messages: user('Call the get_weather tool with city: "Paris"'),
    });
    const last = await runner.runUntilDone();
    return last.content.map((b) => b.text ?? b.type).join(' ');
  },
  async parse() {
    const format = jsonSchemaOutputFormat({
      type: 'object', properties: { answer: { type: 'integer' }, unit: { type: 'string' } },
      required: ['answer', 'unit'], additionalProperties: false,
    });
    const m = await client.messages.parse({ model, max_tokens: 256, messages: user('What is 2+2?'), output_config: { format } });
    if (m.parsed_output == null) throw new Error('parse: no parsed_output');
    return m.parsed_output;
  },
  async countTokens() {
    const c = await client.messages.countTokens({ model, messages: user('How many tokens is this?') });
    if (!Number.isInteger(c.input_tokens)) throw new Error('countTokens: input_tokens not an integer');
    return c.input_tokens;
  },
  async modelsList() {
    const page = await client.models.list({ limit: 2 });
    const ids = page.data.map((info) => info.id);
    if (page.hasNextPage()) ids.push(...(await page.getNextPage()).data.map((info) => info.id));
    const one = await client.models.retrieve(ids[0]);
    return { ids, retrieved: one.id };
  },
};

let failed = 0;
for (const [name, step] of Object.entries(steps)) {
  try {
    console.log(JSON.stringify({ step: name, ok: true, result: await step() }));
  } catch (error) {
    failed += 1;
    console.log(JSON.stringify({ step: name, ok: false, error: `${error?.constructor?.name}: ${error?.message}`.slice(0, 500) }));
  }
}
process.exit(failed ? 1 : 0);
