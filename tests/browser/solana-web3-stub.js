// @coinflowlabs/react's ESM build imports the optional peer @solana/web3.js unconditionally
// (build/esm/common/SolanaPeerDeps.js); CoinflowWithdraw and CoinflowBankLink with a session key
// never use it, so coinflow-withdraw.mjs bundles this empty module in its place.
export {};
