//! `render TEMPLATE [JSON]`: prints the template (with Docker's functions) executed on the
//! JSON value (default: nil), or the error. For comparing with Docker by hand.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(template) = args.first() else {
        eprintln!("usage: render TEMPLATE [JSON]");
        std::process::exit(2);
    };
    let data = match args.get(1) {
        Some(json) => match serde_json::from_str::<serde_json::Value>(json) {
            Ok(v) => six_gotemplate::Value::from_json(&v),
            Err(e) => {
                eprintln!("bad JSON: {e}");
                std::process::exit(2);
            }
        },
        None => six_gotemplate::Value::Nil,
    };
    let result = six_gotemplate::docker::parse(template).and_then(|t| t.execute(&data));
    match result {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
