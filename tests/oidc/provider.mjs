// A real OpenID Provider for the tests: npm `oidc-provider` on loopback, configured
// from one JSON argument, logging in without a browser.
//
// The config: {port, issuer, clients: [...], accounts: {id: claims}, claims: {scope:
// [claim names]}, idTokenSigningAlg?, extraIdTokenClaims?, conformIdTokenClaims?}.
// With `conformIdTokenClaims`, ID tokens of the code flow carry no profile claims
// (oidc-provider's default, and some providers'): they come from userinfo only. An authorization request's
// `login_hint` names the account that logs in; consent is granted for what the client
// asked. Everything else is oidc-provider's own behaviour (discovery, JWKS, PKCE,
// code single use, token, userinfo, revocation).
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const config = JSON.parse(process.argv[2]);
const dir = process.env.OIDC_PROVIDER_DIR;
const { default: Provider } = await import(
  pathToFileURL(join(dir, "node_modules/oidc-provider/lib/index.js")).href
);
const { generateKeyPair, exportJWK, importJWK, SignJWT } = await import(
  pathToFileURL(join(dir, "node_modules/jose/dist/webapi/index.js")).href
);

async function signingKey(alg, kid) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: "sig" };
}

const keys = [await signingKey("RS256", "rs-1")];
const accounts = config.accounts || {};
const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: { keys },
  claims: config.claims || { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  conformIdTokenClaims: config.conformIdTokenClaims === true,
  cookies: { keys: ["gatehouse-test-cookie-key"] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    userinfo: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (!accounts[id]) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) };
  },
  extraTokenClaims: undefined,
  ttl: { AuthorizationCode: 60, IdToken: 300, AccessToken: 300, Session: 600, Interaction: 600, Grant: 600 },
});
provider.proxy = false;

// Hostile answers for the attack tests: an account whose id starts with `attack-`
// gets its ID token replaced, after oidc-provider made it, by the attack it names.
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
async function hostile(attack, claims) {
  const now = Math.floor(Date.now() / 1000);
  const signWith = async (payload, key, alg = "RS256", kid = "rs-1") =>
    new SignJWT(payload).setProtectedHeader({ alg, kid }).sign(key);
  const ours = await importJWK(keys[0], "RS256");
  switch (attack) {
    case "alg-none":
      return `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;
    case "other-key": {
      const { privateKey } = await generateKeyPair("RS256");
      return signWith(claims, privateKey);
    }
    case "hs256": {
      const secret = new TextEncoder().encode(config.clients[0].client_secret);
      return new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(secret);
    }
    case "expired":
      return signWith({ ...claims, iat: now - 7200, exp: now - 3600 }, ours);
    case "audience":
      return signWith({ ...claims, aud: "someone-else" }, ours);
    case "issuer":
      return signWith({ ...claims, iss: "http://evil.example/" }, ours);
    default:
      throw new Error(`unknown attack ${attack}`);
  }
}
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== "/token" || !ctx.body || !ctx.body.id_token) return;
  const claims = JSON.parse(Buffer.from(ctx.body.id_token.split(".")[1], "base64url"));
  if (typeof claims.sub === "string" && claims.sub.startsWith("attack-")) {
    ctx.body = { ...ctx.body, id_token: await hostile(claims.sub.slice(7), claims) };
  }
});

// `swap-userinfo`: userinfo answers for another subject (a substituted access
// token, as OpenID Connect Core 5.3.2 warns of).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === "/me" && ctx.body && ctx.body.sub === "swap-userinfo") {
    ctx.body = { ...ctx.body, sub: "someone-else" };
  }
});

// The harness's interaction: log in the account `login_hint` names, grant consent.
provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith("/interaction/")) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params, session } = details;
  let result;
  if (prompt.name === "login") {
    if (!accounts[params.login_hint]) {
      result = { error: "access_denied", error_description: "no such account" };
    } else {
      result = { login: { accountId: params.login_hint } };
    }
  } else {
    const grant = new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(" "));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    if (prompt.details.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(" "));
      }
    }
    result = { consent: { grantId: await grant.save() } };
  }
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.status = 303;
  ctx.redirect(to);
});

provider.listen(config.port, "127.0.0.1", () => {
  console.log("ready");
});
