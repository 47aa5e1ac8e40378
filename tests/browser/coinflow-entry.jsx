// The host page of coinflow-withdraw.mjs: renders one of Coinflow's real React components with
// env="local" (its iframe comes from http://localhost:3000, the sandbox's --coinflow-ui-port)
// and records every callback in window.log. window.CONFIG picks the component and its props.
import React from "react";
import { createRoot } from "react-dom/client";
import { CoinflowBankLink, CoinflowWithdraw } from "@coinflowlabs/react";

window.log = [];
const record = (name) => (...args) => window.log.push({ name, args: JSON.parse(JSON.stringify(args)) });

function App({ config }) {
  const [height, setHeight] = React.useState(400);
  const common = {
    env: "local",
    merchantId: config.merchantId,
    sessionKey: config.sessionKey,
    email: config.email,
    handleHeightChange: (h) => {
      record("handleHeightChange")(h);
      setHeight(Number(h));
    },
    onAccountLinked: record("onAccountLinked"),
    onAccountNotLinked: record("onAccountNotLinked"),
  };
  const component =
    config.component === "banklink" ? (
      <CoinflowBankLink {...common} />
    ) : (
      <CoinflowWithdraw
        {...common}
        {...(config.amount ? { amount: config.amount, lockAmount: true } : {})}
        onSuccess={record("onSuccess")}
        onInputError={record("onInputError")}
      />
    );
  return <div id="frame" style={{ height }}>{component}</div>;
}

createRoot(document.getElementById("root")).render(<App config={window.CONFIG} />);
