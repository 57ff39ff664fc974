// A real OpenID Connect provider (panva/oidc-provider, certified) on loopback, for the hub's OAuth tests
// and for trying the OIDC login by hand. Not for production: any login name is accepted (devInteractions).
//
//   node provider.mjs --port 9401 --client-id hub --client-secret S \
//     --redirect-uri http://127.0.0.1:8000/hub/oauth/oidc/callback --accounts accounts.json
//
// accounts.json maps a login name to its claims, e.g. {"alice": {"groups": ["livegraphs-admins"]}}.
// Prints "ready <issuer>" on stdout once it listens.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '9401' },
    'client-id': { type: 'string', default: 'livegraphs-hub' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    accounts: { type: 'string' },
    'cookie-key': { type: 'string' }
  }
});

if (!args['client-secret'] || args['redirect-uri'].length === 0) {
  process.stderr.write('--client-secret and --redirect-uri are required\n');
  process.exit(2);
}

const accounts = args.accounts
  ? JSON.parse(readFileSync(args.accounts, 'utf8'))
  : {};
const issuer = `http://${args.host}:${args.port}`;

const configuration = {
  clients: [
    {
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: args['redirect-uri'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic'
    }
  ],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups']
  },
  scopes: ['openid', 'profile', 'email', 'groups'],
  cookies: { keys: [args['cookie-key'] || args['client-secret']] },
  async findAccount(_ctx, id) {
    const extra = accounts[id] || {};
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: id,
          name: extra.name || id,
          email: extra.email || `${id}@example.org`,
          email_verified: true,
          groups: extra.groups || []
        };
      }
    };
  }
};

const provider = new Provider(issuer, configuration);
provider.listen(Number(args.port), args.host, () => {
  process.stdout.write(`ready ${issuer}\n`);
});
