#!/usr/bin/env node
// Verifies webhook deliveries with the npm package standardwebhooks, an implementation of the
// Standard Webhooks spec that shares no code with the service. Reads from stdin a JSON array of
// {"secret": "whsec_...", "headers": {"webhook-id": ..., "webhook-timestamp": ..., "webhook-signature": ...},
//  "body": "<exact request body>"}; prints one line per delivery; exits 0 only if every one verifies.
// Used by WebhooksTest (node .ci/webhook-verifier/verify.js); `npm ci` here first.
'use strict';
const { Webhook } = require('standardwebhooks');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const deliveries = JSON.parse(input);
  let failed = 0;
  for (const d of deliveries) {
    try {
      new Webhook(d.secret).verify(d.body, d.headers);
      console.log(`ok ${d.headers['webhook-id']}`);
    } catch (e) {
      failed++;
      console.log(`FAILED ${d.headers['webhook-id']}: ${e.message}`);
    }
  }
  console.log(`${deliveries.length - failed} of ${deliveries.length} signatures verified`);
  process.exit(failed === 0 && deliveries.length > 0 ? 0 : 1);
});
