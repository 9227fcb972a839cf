// MineIngest's local sign-in: a real OpenID Connect provider (oidc-provider, OpenID certified) on loopback, laid out like
// Microsoft Entra ID (issuer {origin}/mineingest/v2.0, /oauth2/v2.0/authorize and /token), so the app's token checks, the
// pages' MSAL.js and the command's Azure.Identity talk to it exactly as they talk to Entra ID.
//
// Usage: node server.mjs --data DIR [--port 7080] [--app-origin http://localhost:7071 ...]
// On first start it writes into DIR what must never be in the repository: a TLS certificate for localhost (MSAL.js
// accepts only an https authority), the token signing key, the users' passwords and the command-line clients' secrets
// (accounts.json). It keeps them, so tokens and passwords survive a restart. It prints "ready" once it answers.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import Provider from 'oidc-provider';
// MSAL.NET (Azure.Identity's DeviceCodeCredential) asks for a device code's tokens with Entra ID's grant_type
// "device_code", not RFC 8628's URN: the same handler answers both names here.
import { handler as deviceCodeGrant, parameters as deviceCodeParameters } from 'oidc-provider/lib/actions/grants/device_code.js';
import * as grantHelpers from 'oidc-provider/lib/helpers/grants.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const argAll = (name) => process.argv.flatMap((a, i) => (a === `--${name}` ? [process.argv[i + 1]] : []));

const port = Number(arg('port', '7080'));
const data = arg('data') ?? (() => { throw new Error('--data DIR is needed'); })();
const appOrigins = argAll('app-origin').length ? argAll('app-origin') : ['http://localhost:7071'];
// Loopback by either name: a page opened at 127.0.0.1 is another origin than localhost.
const pageOrigins = [...new Set(appOrigins.flatMap((o) => [o, o.replace('localhost', '127.0.0.1'), o.replace('127.0.0.1', 'localhost')]))];

export const TENANT = 'mineingest';
export const API = 'api://mineingest';
const OTHER_API = 'api://another-app';
const origin = `https://localhost:${port}`;
const issuer = `${origin}/${TENANT}/v2.0`;

mkdirSync(data, { recursive: true });

// TLS for localhost, made once with openssl (on Debian and macOS alike).
const certFile = `${data}/cert.pem`;
const keyFile = `${data}/key.pem`;
if (!existsSync(certFile) || !existsSync(keyFile)) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '825',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
}

// The signing key: RSA 2048, RS256, as Entra ID signs.
const jwksFile = `${data}/jwks.json`;
if (!existsSync(jwksFile)) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };
  writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }, null, 2), { mode: 0o600 });
}
const jwks = JSON.parse(readFileSync(jwksFile, 'utf8'));

// The people and the machines, with the app roles the API's registration would assign them in Entra ID.
const accountsFile = `${data}/accounts.json`;
if (!existsSync(accountsFile)) {
  const secret = () => randomBytes(18).toString('base64url');
  const user = (username, name, roles) => ({ username, name, roles, oid: randomUUID(), password: secret() });
  const machine = (clientId, name, roles, resource = API) => ({ clientId, name, roles, resource, oid: randomUUID(), secret: secret() });
  writeFileSync(accountsFile, JSON.stringify({
    users: [
      user('office-writer', 'Maryam Rahimi (programme office, writer)', ['Office.Writer']),
      user('office-reader', 'Reza Karimi (programme office, reader)', ['Office.Reader']),
      user('kerman-clerk', 'Zahra Hosseini (Kerman clerk)', ['Province.kerman']),
      user('yazd-clerk', 'Ali Moradi (Yazd clerk)', ['Province.yazd']),
      user('no-role', 'Sara Ebrahimi (no role assigned)', []),
    ],
    machines: [
      machine('kerman-ingest', 'Kerman province ingestion', ['Province.kerman']),
      machine('yazd-ingest', 'Yazd province ingestion', ['Province.yazd']),
      machine('office-writer-app', 'Programme office automation (writer)', ['Office.Writer']),
      machine('office-reader-app', 'Programme office reporting (reader)', ['Office.Reader']),
      machine('no-role-app', 'An application with no role', []),
      machine('another-app-client', 'A client of another API', ['Office.Writer'], OTHER_API),
    ],
  }, null, 2), { mode: 0o600 });
}
const accounts = JSON.parse(readFileSync(accountsFile, 'utf8'));
const usersByName = new Map(accounts.users.map((u) => [u.username, u]));
const machinesById = new Map(accounts.machines.map((m) => [m.clientId, m]));

const PAGES_CLIENT = 'mineingest-pages';
const CLI_CLIENT = 'mineingest-cli';
const ACCESS_SCOPE = `${API}/access_as_user`;
const DEFAULT_SCOPE = `${API}/.default`;

const configuration = {
  clients: [
    {
      client_id: PAGES_CLIENT, client_name: 'MineIngest pages', application_type: 'web', token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      redirect_uris: pageOrigins.flatMap((o) => [`${o}/api/dashboard`, `${o}/api/upload`, `${o}/api/field`]),
      post_logout_redirect_uris: pageOrigins.flatMap((o) => [`${o}/api/dashboard`, `${o}/api/upload`, `${o}/api/field`]),
      scope: `openid profile offline_access ${ACCESS_SCOPE}`,
    },
    {
      client_id: CLI_CLIENT, client_name: 'mineingest command (a person at a terminal)', application_type: 'native', token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'device_code', 'refresh_token'], response_types: [], redirect_uris: [],
      scope: `openid profile offline_access ${ACCESS_SCOPE} ${DEFAULT_SCOPE}`,
    },
    ...accounts.machines.map((m) => ({
      client_id: m.clientId, client_name: m.name, client_secret: m.secret, token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      scope: `${m.resource}/.default`,
    })),
  ],
  jwks,
  // Entra ID's scope names: the API's delegated scope, and .default for applications.
  scopes: ['openid', 'profile', 'offline_access', ACCESS_SCOPE, DEFAULT_SCOPE, `${OTHER_API}/.default`],
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'oid', 'roles'] },
  async findAccount(_ctx, sub) {
    const user = accounts.users.find((u) => u.oid === sub);
    if (!user) return undefined;
    return { accountId: sub, claims: async () => ({ sub, oid: user.oid, name: user.name, preferred_username: user.username, roles: user.roles }) };
  },
  // What Entra ID puts in an access token for this API: the caller's object id, name and app roles, the tenant.
  async extraTokenClaims(_ctx, token) {
    if (token.kind === 'ClientCredentials') {
      const m = machinesById.get(token.clientId);
      return { oid: m.oid, roles: m.roles, azp: m.clientId, app_displayname: m.name, tid: TENANT };
    }
    const user = accounts.users.find((u) => u.oid === token.accountId);
    return user ? { oid: user.oid, name: user.name, preferred_username: user.username, roles: user.roles, azp: token.clientId, tid: TENANT } : {};
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // `mineingest login`: a person enters the code the command shows, signs in, and confirms.
    deviceFlow: {
      enabled: true,
      async userCodeInputSource(ctx, form, _out, err) {
        ctx.body = page('Enter the code', `${err ? '<p class="error" role="alert">That code is not right, or has expired. Try again.</p>' : ''}
<p>Enter the code the mineingest command shows.</p>${form.replace('<input\n', '<label for="user-code">Code</label><input id="user-code"\n')}
<button type="submit" form="op.deviceInputForm">Continue</button>`);
      },
      async userCodeConfirmSource(ctx, form, client, _info, userCode) {
        ctx.body = page('Confirm the sign-in', `<p>Sign in to ${escape(client.clientName ?? client.clientId)} with the code <code>${escape(userCode)}</code>?</p>
${form}<button autofocus type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" value="yes" name="abort">Abort</button>`);
      },
      async successSource(ctx) {
        ctx.body = page('Signed in', '<p role="status">You are signed in: go back to the command.</p>');
      },
    },
    rpInitiatedLogout: {
      enabled: true,
      // Sign-out from the pages goes through without a second question.
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html lang="en"><head><title>Signing out</title>${HEAD}</head><body>${form}<script src="/logout.js"></script></body></html>`;
      },
    },
    resourceIndicators: {
      enabled: true,
      async defaultResource(_ctx, client) { return machinesById.get(client?.clientId)?.resource ?? API; },
      async useGrantedResource() { return true; },
      async getResourceServerInfo(_ctx, resource) {
        if (resource !== API && resource !== OTHER_API) throw new Provider.errors.InvalidTarget();
        return {
          audience: resource, scope: `${resource}/access_as_user ${resource}/.default`, accessTokenTTL: 3600,
          accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  // First-party clients: the grant is given at sign-in, no consent page (as an admin consents for the tenant in Entra ID).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    // The API's scope is one of this provider's scopes too (Entra ID's names), so it is granted both ways.
    grant.addOIDCScope(`openid profile offline_access ${ACCESS_SCOPE} ${DEFAULT_SCOPE}`);
    grant.addResourceScope(API, `${ACCESS_SCOPE} ${DEFAULT_SCOPE}`);
    await grant.save();
    return grant;
  },
  clientBasedCORS(_ctx, requestOrigin) { return pageOrigins.includes(requestOrigin); },
  pkce: { required: () => true },
  ttl: { AccessToken: 3600, ClientCredentials: 3600, IdToken: 3600, AuthorizationCode: 60, Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600, RefreshToken: 8 * 3600, DeviceCode: 600 },
  interactions: { url: (_ctx, interaction) => `/${TENANT}/login/${interaction.uid}` },
  routes: {
    authorization: `/${TENANT}/oauth2/v2.0/authorize`,
    token: `/${TENANT}/oauth2/v2.0/token`,
    device_authorization: `/${TENANT}/oauth2/v2.0/devicecode`,
    code_verification: `/${TENANT}/device`,
    end_session: `/${TENANT}/oauth2/v2.0/logout`,
    jwks: `/${TENANT}/discovery/v2.0/keys`,
    userinfo: `/${TENANT}/openid/userinfo`,
    revocation: `/${TENANT}/oauth2/v2.0/revoke`,
    introspection: `/${TENANT}/oauth2/v2.0/introspect`,
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="en"><head><title>Sign-in error</title>${HEAD}</head><body><main><h1>Sign-in error</h1><p>${escape(out.error)}: ${escape(out.error_description ?? '')}</p></main></body></html>`;
  },
};

const provider = new Provider(issuer, configuration);
const boundHelpers = Object.fromEntries(Object.entries(grantHelpers).map(([name, helper]) => [name, helper.bind(undefined, provider)]));
provider.registerGrantType('device_code', deviceCodeGrant.bind(undefined, provider, boundHelpers), new Set([...deviceCodeParameters, 'resource']), new Set(['resource']));
// Every page the provider writes (device code, sign-out, errors) carries the policy.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.response.is('html')) ctx.set('content-security-policy', PAGE_POLICY);
});
const callback = provider.callback();

// The provider's own pages, as strict as the app's: styles and the one script are files of its own, nothing inline.
// No form-action: the sign-in form's answer redirects to the app, which Chromium holds to form-action too.
const PAGE_POLICY = "default-src 'none'; style-src 'self'; script-src 'self'; img-src data:; base-uri 'none'; frame-ancestors 'none'";
const HEAD = '<link rel="stylesheet" href="/style.css"><link rel="icon" href="data:,">';
const FILES = {
  '/style.css': ['text/css; charset=utf-8', `body{font-family:system-ui,sans-serif;max-width:26rem;margin:2rem auto;padding:0 1rem}label{display:block;margin-top:1rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}button{margin-top:1.25rem;padding:.5rem 1.25rem;font-size:1rem}
.error{color:#a00000}[lang=fa]{direction:rtl}`],
  // Sign-out goes through without a second question: the form the provider writes is sent at once.
  '/logout.js': ['text/javascript; charset=utf-8', 'document.forms[0].submit();'],
};

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** A plain page of this provider: nothing fetched from elsewhere (the tests and a laptop may be offline). */
function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>${HEAD}
</head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

/** The sign-in form: labelled fields, in English and Persian, usable with a keyboard and a screen reader. */
function loginPage(uid, clientName, failed) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to MineIngest (local)</title>${HEAD}</head>
<body><main>
<h1>Sign in <span lang="fa">/ ورود</span></h1>
<p>Local sign-in for MineIngest, for ${escape(clientName)}. <span lang="fa">ورود محلی به MineIngest.</span></p>
${failed ? '<p class="error" role="alert">The user name or password is wrong. <span lang="fa">نام کاربری یا گذرواژه نادرست است.</span></p>' : ''}
<form method="post" action="/${TENANT}/login/${escape(uid)}">
<label for="username">User name <span lang="fa">نام کاربری</span></label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password <span lang="fa">گذرواژه</span></label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in <span lang="fa">ورود</span></button>
</form></main></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Provider.errors.SessionNotFound('interaction session and path do not match');
  const client = await provider.Client.find(details.params.client_id);
  // Consent (asked of every native client, such as the command) is given for these first-party clients, as an admin
  // consents for the tenant in Entra ID: the person has just signed in and confirmed the code.
  if (details.prompt.name === 'consent') {
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope(`openid profile offline_access ${ACCESS_SCOPE} ${DEFAULT_SCOPE}`);
    grant.addResourceScope(API, `${ACCESS_SCOPE} ${DEFAULT_SCOPE}`);
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': PAGE_POLICY });
    res.end(loginPage(uid, client?.clientName ?? details.params.client_id, false));
    return;
  }
  const form = await readForm(req);
  const user = usersByName.get(form.get('username') ?? '');
  if (!user || user.password !== form.get('password')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': PAGE_POLICY });
    res.end(loginPage(uid, client?.clientName ?? details.params.client_id, true));
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: user.oid } }, { mergeWithLastSubmission: false });
}

const discoveryAlias = `/${TENANT}/v2.0/.well-known/openid-configuration`;
const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, async (req, res) => {
  try {
    const path = new URL(req.url, origin).pathname;
    // No icon: answered, so that a browser's request for one is no 404 in the console.
    if (path === '/favicon.ico') {
      res.writeHead(204, { 'cache-control': 'max-age=86400' });
      res.end();
      return;
    }
    if (FILES[path]) {
      res.writeHead(200, { 'content-type': FILES[path][0], 'cache-control': 'max-age=3600', 'x-content-type-options': 'nosniff' });
      res.end(FILES[path][1]);
      return;
    }
    const login = path.match(new RegExp(`^/${TENANT}/login/([A-Za-z0-9_-]+)$`));
    if (login && (req.method === 'GET' || req.method === 'POST')) {
      await interaction(req, res, login[1]);
      return;
    }
    // Entra ID serves discovery under the issuer ({tenant}/v2.0); oidc-provider serves it at its root.
    if (path === discoveryAlias) req.url = '/.well-known/openid-configuration';
    callback(req, res);
  } catch (err) {
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`Sign-in failed: ${err.message}`);
  }
});
server.listen(port, '127.0.0.1', () => {
  console.log(`MineIngest local sign-in on ${origin}, issuer ${issuer}; users, passwords and client secrets in ${accountsFile}`);
  console.log('ready');
});
