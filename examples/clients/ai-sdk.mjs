// Drives the Vercel AI SDK (`ai` + `@ai-sdk/anthropic`) against ANTHROPIC_BASE_URL with its
// defaults (no maxOutputTokens: the provider sends its model-table default): generateText,
// streamText, a tool loop, generateObject. One JSON line per step; exit 1 if any step threw.
import { generateText, streamText, generateObject, jsonSchema, tool, stepCountIs } from 'ai';
import { createAnthropic } from '@ai-sdk/anthropic';

const base = (process.env.ANTHROPIC_BASE_URL || '').replace(/\/$/, '');
const anthropic = createAnthropic({ baseURL: `${base}/v1`, apiKey: process.env.ANTHROPIC_API_KEY });
const model = anthropic(process.env.MCONF_MODEL || 'claude-sonnet-4-6');

const steps = {
  async generateText() {
    const r = await generateText({ model, prompt: 'Repeat exactly: hello from the AI SDK', maxRetries: 0 });
    return r.text;
  },
  async streamText() {
    const r = streamText({ model, prompt: 'Repeat exactly: streamed by the AI SDK', maxRetries: 0 });
    let text = '';
    for await (const part of r.textStream) text += part;
    if (!text) throw new Error('streamText: no text (the stream failed: streamText reports errors to onError only)');
    return text;
  },
  async toolLoop() {
    const r = await generateText({
      model, maxRetries: 0, stopWhen: stepCountIs(3),
      prompt: 'Call the get_weather tool with city: "Paris"',
      tools: {
        get_weather: tool({
          description: 'The weather in a city',
          inputSchema: jsonSchema({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
          execute: async ({ city }) => `Sunny in ${city}`,
        }),
      },
    });
    if (r.steps.length < 2) throw new Error(`toolLoop: ${r.steps.length} step(s), expected a tool call and an answer`);
    return r.text;
  },
  async generateObject() {
    const r = await generateObject({
      model, maxRetries: 0, prompt: 'Name a city and its country.',
      schema: jsonSchema({
        type: 'object', properties: { city: { type: 'string' }, country: { type: 'string' } },
        required: ['city', 'country'], additionalProperties: false,
      }),
    });
    return r.object;
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
