// Sign-in for the pages (dashboard and upload page): MSAL.js, the authorization-code flow with PKCE, against the
// authority the app names at /api/signin (Entra ID in Azure, the local provider with ./run.sh --sign-in). Bundled by
// build.mjs into dist/signin.js, which sets window.MineIngestSignIn. With sign-in off the pages work with keys as before.
// The token travels in the Authorization header only: never in a URL.
import { createStandardPublicClientApplication, InteractionRequiredAuthError } from '@azure/msal-browser';

const text = {
  fa: {
    signIn: 'ورود', signOut: 'خروج', signedInAs: (n) => `واردشده: ${n}`, notSignedIn: 'برای دیدن و فرستادن داده‌ها وارد شوید.',
    writer: 'دفتر برنامه، نویسنده', reader: 'دفتر برنامه، خواننده', province: (p) => `بارگذار استان ${p}`, noRole: 'بدون نقش در این سامانه',
    region: 'ورود',
  },
  en: {
    signIn: 'Sign in', signOut: 'Sign out', signedInAs: (n) => `Signed in: ${n}`, notSignedIn: 'Sign in to see and send data.',
    writer: 'programme office, writer', reader: 'programme office, reader', province: (p) => `uploader for ${p}`, noRole: 'no role in this app',
    region: 'Sign-in',
  },
};

/**
 * Starts sign-in for a page: reads /api/signin, completes a redirect back from the authority, and draws who is signed in
 * (with their role, from the app's own /api/me) or a sign-in button into `container`.
 * Returns { enabled, signedIn, me, headers(), draw(lang), signIn() }: headers() gives the Authorization header for a call.
 * The field form keeps its sign-in in localStorage (a phone restarted in the mountains still knows who it is) and is not
 * `interactive`: a token that can no longer be renewed makes headers() throw (`signInNeeded`) instead of leaving the page,
 * and the form asks the surveyor to sign in when they send.
 */
async function start({ apiBase, container, lang, provinceName = (p) => p, cacheLocation = 'sessionStorage', interactive = true }) {
  // Inside MSAL's own hidden frame (a silent renewal loads this page there) the page does nothing: MSAL reads the answer.
  if (window !== window.parent) return { enabled: true, signedIn: false, me: null, headers: async () => ({}), draw: () => {} };
  const settings = await (await fetch(new URL(apiBase + 'signin', location.origin))).json();
  const session = { enabled: settings.enabled, signedIn: false, me: null, headers: async () => ({}), draw: () => {} };
  if (!settings.enabled) { container.hidden = true; return session; }

  const here = location.origin + location.pathname;
  const msal = await createStandardPublicClientApplication({
    auth: {
      clientId: settings.clientId, authority: settings.authority, knownAuthorities: settings.knownAuthorities,
      protocolMode: settings.protocol, redirectUri: here, postLogoutRedirectUri: here,
    },
    cache: { cacheLocation },
  });
  const result = await msal.handleRedirectPromise();
  const account = result?.account ?? msal.getActiveAccount() ?? msal.getAllAccounts()[0] ?? null;
  const scopes = [settings.scope];
  if (account) msal.setActiveAccount(account);

  // The token the sign-in brought back serves until it nearly expires; then MSAL's cache or a silent renewal.
  let current = result?.accessToken ? { token: result.accessToken, until: result.expiresOn?.getTime() ?? 0 } : null;
  session.headers = async () => {
    if (!account) return {};
    if (current && current.until - Date.now() > 60_000) return { Authorization: `Bearer ${current.token}` };
    try {
      const token = await msal.acquireTokenSilent({ scopes, account });
      current = { token: token.accessToken, until: token.expiresOn?.getTime() ?? 0 };
      return { Authorization: `Bearer ${token.accessToken}` };
    } catch (error) {
      const expired = error instanceof InteractionRequiredAuthError || error?.errorCode === 'timed_out';
      if (expired && !interactive) throw Object.assign(new Error('sign-in needed'), { signInNeeded: true });
      if (expired) await msal.acquireTokenRedirect({ scopes, account });
      throw error;
    }
  };
  session.signIn = () => msal.loginRedirect({ scopes });
  if (account) {
    try {
      const response = await fetch(new URL(apiBase + 'me', location.origin), { headers: await session.headers() });
      if (response.ok) { session.me = await response.json(); session.signedIn = true; }
    } catch (error) {
      // No signal (the field form offline) or a sign-in to renew: the page goes on; who they are is asked again when it sends.
      if (interactive) throw error;
    }
  }

  session.draw = (language) => {
    const t = text[language] ?? text.en;
    const me = session.me;
    const role = !me ? '' : me.office ? t[me.office] : me.provinces.length ? me.provinces.map((p) => t.province(provinceName(p))).join('، ') : t.noRole;
    const line = document.createElement('span');
    line.dataset.testid = 'signed-in';
    line.textContent = me ? `${t.signedInAs(me.name)} (${role})` : t.notSignedIn;
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.testid = me ? 'sign-out' : 'sign-in';
    button.textContent = me ? t.signOut : t.signIn;
    button.addEventListener('click', () => (me ? msal.logoutRedirect({ account }) : msal.loginRedirect({ scopes })));
    container.setAttribute('role', 'region');
    container.setAttribute('aria-label', t.region);
    container.replaceChildren(line, ' ', button);
    container.hidden = false;
  };
  session.draw(lang);
  return session;
}

window.MineIngestSignIn = { start };
