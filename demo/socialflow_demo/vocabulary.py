"""Word lists and templates the synthetic texts are built from.

Kept apart from the generator so the sampling logic stays readable. The lists are deliberately
varied (several templates per slot, per language, hard negatives such as "free entry" or "this beat
is sick" in clean texts) so a classifier trained on the demo's reviewed items has to learn the
concept rather than memorise one sentence.
"""

from __future__ import annotations

LANGUAGES = ("en", "es", "fr", "de", "pt", "it")
# Share of users per language: mostly English, as on most global networks.
LANGUAGE_SHARES = (0.55, 0.15, 0.08, 0.07, 0.10, 0.05)

TOPICS = (
    "technology",
    "music",
    "gaming",
    "sports",
    "food",
    "travel",
    "fashion",
    "science",
    "politics",
    "comedy",
    "health",
    "education",
)

# Per topic: nouns per language (the topic words content analysis should find), named entities
# (people, places, brands, events; language neutral), hashtags and emoji.
TOPIC_NOUNS: dict[str, dict[str, tuple[str, ...]]] = {
    "technology": {
        "en": ("smartphone", "laptop", "AI model", "software update", "startup", "chip", "app", "robot"),
        "es": ("móvil", "portátil", "inteligencia artificial", "actualización", "aplicación", "robot"),
        "fr": ("smartphone", "ordinateur", "intelligence artificielle", "mise à jour", "appli", "robot"),
        "de": ("Smartphone", "Laptop", "künstliche Intelligenz", "Update", "App", "Roboter"),
        "pt": ("celular", "notebook", "inteligência artificial", "atualização", "aplicativo", "robô"),
        "it": ("smartphone", "portatile", "intelligenza artificiale", "aggiornamento", "app", "robot"),
    },
    "music": {
        "en": ("album", "concert", "song", "guitar solo", "playlist", "festival", "chorus", "vinyl"),
        "es": ("álbum", "concierto", "canción", "guitarra", "festival", "disco"),
        "fr": ("album", "concert", "chanson", "guitare", "festival", "refrain"),
        "de": ("Album", "Konzert", "Lied", "Gitarre", "Festival", "Refrain"),
        "pt": ("álbum", "show", "música", "guitarra", "festival", "refrão"),
        "it": ("album", "concerto", "canzone", "chitarra", "festival", "ritornello"),
    },
    "gaming": {
        "en": ("speedrun", "boss fight", "console", "patch", "multiplayer match", "quest", "controller"),
        "es": ("partida", "consola", "jefe final", "parche", "misión", "mando"),
        "fr": ("partie", "console", "boss final", "patch", "quête", "manette"),
        "de": ("Spiel", "Konsole", "Endboss", "Patch", "Quest", "Controller"),
        "pt": ("partida", "console", "chefão", "atualização do jogo", "missão", "controle"),
        "it": ("partita", "console", "boss finale", "patch", "missione", "controller"),
    },
    "sports": {
        "en": ("match", "goal", "final", "coach", "transfer", "marathon", "league", "penalty"),
        "es": ("partido", "gol", "final", "entrenador", "fichaje", "liga", "penalti"),
        "fr": ("match", "but", "finale", "entraîneur", "transfert", "championnat", "penalty"),
        "de": ("Spiel", "Tor", "Finale", "Trainer", "Transfer", "Liga", "Elfmeter"),
        "pt": ("jogo", "gol", "final", "técnico", "transferência", "campeonato", "pênalti"),
        "it": ("partita", "gol", "finale", "allenatore", "calciomercato", "campionato", "rigore"),
    },
    "food": {
        "en": ("recipe", "pasta", "street food", "brunch", "pizza", "dessert", "ramen", "sourdough"),
        "es": ("receta", "paella", "tapas", "postre", "tortilla", "churros"),
        "fr": ("recette", "croissant", "fromage", "dessert", "baguette", "crêpe"),
        "de": ("Rezept", "Brezel", "Kuchen", "Bratwurst", "Frühstück", "Nachtisch"),
        "pt": ("receita", "feijoada", "pão de queijo", "sobremesa", "churrasco", "pastel de nata"),
        "it": ("ricetta", "pasta", "pizza", "tiramisù", "risotto", "gelato"),
    },
    "travel": {
        "en": ("trip", "flight", "beach", "hostel", "road trip", "itinerary", "sunset", "backpack"),
        "es": ("viaje", "vuelo", "playa", "mochila", "ruta", "atardecer"),
        "fr": ("voyage", "vol", "plage", "itinéraire", "coucher de soleil", "sac à dos"),
        "de": ("Reise", "Flug", "Strand", "Rucksack", "Roadtrip", "Sonnenuntergang"),
        "pt": ("viagem", "voo", "praia", "mochila", "roteiro", "pôr do sol"),
        "it": ("viaggio", "volo", "spiaggia", "zaino", "itinerario", "tramonto"),
    },
    "fashion": {
        "en": ("outfit", "sneakers", "runway show", "jacket", "collection", "streetwear", "dress"),
        "es": ("look", "zapatillas", "desfile", "chaqueta", "colección", "vestido"),
        "fr": ("tenue", "baskets", "défilé", "veste", "collection", "robe"),
        "de": ("Outfit", "Sneaker", "Modenschau", "Jacke", "Kollektion", "Kleid"),
        "pt": ("look", "tênis", "desfile", "jaqueta", "coleção", "vestido"),
        "it": ("outfit", "sneakers", "sfilata", "giacca", "collezione", "vestito"),
    },
    "science": {
        "en": ("telescope", "experiment", "vaccine research", "black hole", "climate study", "fossil"),
        "es": ("telescopio", "experimento", "agujero negro", "estudio del clima", "fósil", "investigación"),
        "fr": ("télescope", "expérience", "trou noir", "étude climatique", "fossile", "recherche"),
        "de": ("Teleskop", "Experiment", "Schwarzes Loch", "Klimastudie", "Fossil", "Forschung"),
        "pt": ("telescópio", "experimento", "buraco negro", "estudo climático", "fóssil", "pesquisa"),
        "it": ("telescopio", "esperimento", "buco nero", "studio sul clima", "fossile", "ricerca"),
    },
    "politics": {
        "en": ("election", "debate", "parliament", "policy", "vote", "budget", "referendum"),
        "es": ("elecciones", "debate", "parlamento", "presupuesto", "votación", "ley"),
        "fr": ("élection", "débat", "parlement", "budget", "vote", "réforme"),
        "de": ("Wahl", "Debatte", "Bundestag", "Haushalt", "Abstimmung", "Reform"),
        "pt": ("eleição", "debate", "congresso", "orçamento", "votação", "reforma"),
        "it": ("elezioni", "dibattito", "parlamento", "bilancio", "voto", "riforma"),
    },
    "comedy": {
        "en": ("stand-up set", "sketch", "meme", "prank", "punchline", "sitcom"),
        "es": ("monólogo", "sketch", "meme", "broma", "chiste", "comedia"),
        "fr": ("spectacle", "sketch", "mème", "blague", "sitcom", "humoriste"),
        "de": ("Stand-up", "Sketch", "Meme", "Witz", "Pointe", "Sitcom"),
        "pt": ("stand-up", "esquete", "meme", "pegadinha", "piada", "comédia"),
        "it": ("monologo", "sketch", "meme", "scherzo", "battuta", "sitcom"),
    },
    "health": {
        "en": ("workout", "yoga class", "sleep routine", "diet", "meditation", "running plan"),
        "es": ("entrenamiento", "yoga", "dieta", "meditación", "rutina de sueño", "gimnasio"),
        "fr": ("entraînement", "yoga", "régime", "méditation", "sommeil", "salle de sport"),
        "de": ("Training", "Yoga", "Ernährung", "Meditation", "Schlaf", "Fitnessstudio"),
        "pt": ("treino", "ioga", "dieta", "meditação", "sono", "academia"),
        "it": ("allenamento", "yoga", "dieta", "meditazione", "sonno", "palestra"),
    },
    "education": {
        "en": ("lecture", "exam", "online course", "homework", "scholarship", "university", "tutorial"),
        "es": ("clase", "examen", "curso online", "beca", "universidad", "deberes"),
        "fr": ("cours", "examen", "formation en ligne", "bourse", "université", "devoirs"),
        "de": ("Vorlesung", "Prüfung", "Onlinekurs", "Stipendium", "Universität", "Hausaufgaben"),
        "pt": ("aula", "prova", "curso online", "bolsa", "universidade", "lição de casa"),
        "it": ("lezione", "esame", "corso online", "borsa di studio", "università", "compiti"),
    },
}

TOPIC_ENTITIES: dict[str, tuple[str, ...]] = {
    "technology": ("Apple", "Google", "Samsung", "Microsoft", "Nvidia", "San Francisco", "Berlin", "CES"),
    "music": (
        "Taylor Swift",
        "Coldplay",
        "Beyoncé",
        "Glastonbury",
        "Spotify",
        "Rosalía",
        "Madison Square Garden",
    ),
    "gaming": ("Nintendo", "PlayStation", "Xbox", "Zelda", "Minecraft", "Steam", "Gamescom", "Fortnite"),
    "sports": (
        "Real Madrid",
        "Lionel Messi",
        "Serena Williams",
        "the Champions League",
        "Wimbledon",
        "LeBron James",
        "Roland Garros",
    ),
    "food": ("Naples", "Tokyo", "Lisbon", "Gordon Ramsay", "Michelin", "Lyon", "Mexico City"),
    "travel": ("Lisbon", "Bali", "Patagonia", "Kyoto", "Iceland", "Barcelona", "the Alps", "Marrakech"),
    "fashion": ("Paris Fashion Week", "Gucci", "Zara", "Nike", "Adidas", "Milan", "Chanel"),
    "science": ("NASA", "CERN", "the James Webb telescope", "Mars", "Marie Curie", "ESA", "Antarctica"),
    "politics": (
        "the European Parliament",
        "the United Nations",
        "Brussels",
        "Washington",
        "the Senate",
        "the G20",
    ),
    "comedy": ("Netflix", "Saturday Night Live", "Edinburgh Fringe", "YouTube", "TikTok", "Montreal"),
    "health": ("the WHO", "Strava", "Fitbit", "the Boston Marathon", "Headspace", "Peloton"),
    "education": ("Harvard", "Coursera", "Oxford", "Khan Academy", "MIT", "the Sorbonne", "Duolingo"),
}

TOPIC_HASHTAGS: dict[str, tuple[str, ...]] = {
    "technology": ("#tech", "#AI", "#gadgets", "#coding", "#innovation", "#tecnologia"),
    "music": ("#music", "#newmusic", "#livemusic", "#concert", "#musica", "#musique"),
    "gaming": ("#gaming", "#gamer", "#videogames", "#esports", "#twitch", "#jeuxvideo"),
    "sports": ("#football", "#sports", "#futbol", "#matchday", "#tennis", "#NBA"),
    "food": ("#food", "#foodie", "#recipe", "#cooking", "#comida", "#cucina"),
    "travel": ("#travel", "#wanderlust", "#viaje", "#voyage", "#reise", "#travelgram"),
    "fashion": ("#fashion", "#ootd", "#style", "#moda", "#streetstyle", "#mode"),
    "science": ("#science", "#space", "#research", "#ciencia", "#astronomy", "#climate"),
    "politics": ("#politics", "#election", "#vote", "#politica", "#democracy", "#policy"),
    "comedy": ("#comedy", "#funny", "#memes", "#humor", "#standup", "#lol"),
    "health": ("#fitness", "#health", "#wellness", "#yoga", "#salud", "#running"),
    "education": ("#education", "#learning", "#studygram", "#students", "#educacion", "#university"),
}

TOPIC_EMOJI: dict[str, tuple[str, ...]] = {
    "technology": ("💻", "📱", "🤖", "⚡"),
    "music": ("🎵", "🎸", "🎤", "🎧"),
    "gaming": ("🎮", "🕹️", "👾", "🏆"),
    "sports": ("⚽", "🏀", "🎾", "🏃"),
    "food": ("🍕", "🍝", "🥐", "😋"),
    "travel": ("✈️", "🏖️", "🌍", "🗺️"),
    "fashion": ("👗", "👟", "🕶️", "✨"),
    "science": ("🔭", "🧪", "🚀", "🌌"),
    "politics": ("🗳️", "🏛️", "📢", "📰"),
    "comedy": ("😂", "🤣", "😆", "🎭"),
    "health": ("💪", "🧘", "🥗", "❤️"),
    "education": ("📚", "🎓", "✏️", "🧠"),
}

# Clean post templates. Slots: {noun} topic word, {entity} named entity, {opinion} sentiment phrase.
POST_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "Just watched the new {noun} from {entity}, {opinion}",
        "Anyone else following the {noun} news from {entity}? {opinion}",
        "My thoughts on the {noun} everyone is talking about: {opinion}",
        "Spent the whole weekend on this {noun}. {opinion}",
        "{entity} and the {noun} today... {opinion}",
        "Hot take: the {noun} at {entity} is {opinion}",
        "Sharing my notes about the {noun} after visiting {entity}. {opinion}",
        "Can we talk about the {noun}? {opinion}",
    ),
    "es": (
        "Acabo de ver el {noun} de {entity}, {opinion}",
        "¿Alguien más sigue lo del {noun} en {entity}? {opinion}",
        "Mi opinión sobre el {noun} del que todos hablan: {opinion}",
        "Todo el fin de semana con este {noun}. {opinion}",
        "{entity} y el {noun} de hoy... {opinion}",
        "Hablemos del {noun}: {opinion}",
    ),
    "fr": (
        "Je viens de voir le {noun} de {entity}, {opinion}",
        "Quelqu'un d'autre suit l'histoire du {noun} à {entity} ? {opinion}",
        "Mon avis sur le {noun} dont tout le monde parle : {opinion}",
        "Tout le week-end sur ce {noun}. {opinion}",
        "{entity} et le {noun} aujourd'hui... {opinion}",
        "Parlons du {noun} : {opinion}",
    ),
    "de": (
        "Gerade das neue {noun} von {entity} gesehen, {opinion}",
        "Verfolgt noch jemand die Sache mit {noun} bei {entity}? {opinion}",
        "Meine Meinung zum {noun}, über das alle reden: {opinion}",
        "Das ganze Wochenende mit diesem {noun} verbracht. {opinion}",
        "{entity} und das {noun} heute... {opinion}",
        "Reden wir über {noun}: {opinion}",
    ),
    "pt": (
        "Acabei de ver o {noun} do {entity}, {opinion}",
        "Mais alguém acompanhando o {noun} em {entity}? {opinion}",
        "Minha opinião sobre o {noun} que todo mundo comenta: {opinion}",
        "Passei o fim de semana inteiro nesse {noun}. {opinion}",
        "{entity} e o {noun} de hoje... {opinion}",
        "Vamos falar do {noun}: {opinion}",
    ),
    "it": (
        "Ho appena visto il {noun} di {entity}, {opinion}",
        "Qualcun altro segue la storia del {noun} a {entity}? {opinion}",
        "La mia opinione sul {noun} di cui parlano tutti: {opinion}",
        "Tutto il weekend su questo {noun}. {opinion}",
        "{entity} e il {noun} di oggi... {opinion}",
        "Parliamo del {noun}: {opinion}",
    ),
}

COMMENT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "{opinion}",
        "Totally agree about the {noun}, {opinion}",
        "Where was this {noun}? {opinion}",
        "Saw the same thing at {entity}. {opinion}",
        "Not sure about the {noun} but {opinion}",
        "Thanks for sharing! {opinion}",
    ),
    "es": (
        "{opinion}",
        "Totalmente de acuerdo con lo del {noun}, {opinion}",
        "¿Dónde fue este {noun}? {opinion}",
        "¡Gracias por compartir! {opinion}",
    ),
    "fr": (
        "{opinion}",
        "Tout à fait d'accord pour le {noun}, {opinion}",
        "C'était où ce {noun} ? {opinion}",
        "Merci du partage ! {opinion}",
    ),
    "de": (
        "{opinion}",
        "Stimme beim {noun} völlig zu, {opinion}",
        "Wo war das {noun}? {opinion}",
        "Danke fürs Teilen! {opinion}",
    ),
    "pt": (
        "{opinion}",
        "Concordo totalmente sobre o {noun}, {opinion}",
        "Onde foi esse {noun}? {opinion}",
        "Obrigado por compartilhar! {opinion}",
    ),
    "it": (
        "{opinion}",
        "Completamente d'accordo sul {noun}, {opinion}",
        "Dov'era questo {noun}? {opinion}",
        "Grazie per aver condiviso! {opinion}",
    ),
}

TITLE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "{entity}: the {noun} you need to see",
        "I tried the {noun} at {entity}",
        "Everything about the {noun} in 5 minutes",
        "{noun} vlog with {entity}",
    ),
    "es": (
        "{entity}: el {noun} que tienes que ver",
        "Probé el {noun} en {entity}",
        "Todo sobre el {noun} en 5 minutos",
    ),
    "fr": (
        "{entity} : le {noun} à voir absolument",
        "J'ai testé le {noun} à {entity}",
        "Tout sur le {noun} en 5 minutes",
    ),
    "de": (
        "{entity}: das {noun}, das du sehen musst",
        "Ich habe das {noun} bei {entity} getestet",
        "Alles über {noun} in 5 Minuten",
    ),
    "pt": (
        "{entity}: o {noun} que você precisa ver",
        "Testei o {noun} em {entity}",
        "Tudo sobre o {noun} em 5 minutos",
    ),
    "it": (
        "{entity}: il {noun} da non perdere",
        "Ho provato il {noun} a {entity}",
        "Tutto sul {noun} in 5 minuti",
    ),
}

# Sentiment-bearing phrases per language: positive, negative, neutral.
OPINIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "positive": (
            "absolutely love it!",
            "amazing work, so happy right now",
            "best thing I've seen this year",
            "brilliant and inspiring",
            "honestly wonderful",
            "great vibes, highly recommend",
        ),
        "negative": (
            "really disappointing",
            "what a waste of time",
            "worst one so far, so sad",
            "pretty boring and overpriced",
            "I'm annoyed, this was terrible",
            "not impressed at all",
        ),
        "neutral": (
            "curious to see what happens next",
            "details in the thread",
            "more on this tomorrow",
            "we'll see",
        ),
    },
    "es": {
        "positive": (
            "¡me encanta!",
            "increíble, qué felicidad",
            "lo mejor del año",
            "genial, muy recomendable",
        ),
        "negative": ("muy decepcionante", "qué pérdida de tiempo", "malísimo, qué pena", "aburrido y caro"),
        "neutral": ("a ver qué pasa", "más detalles mañana", "veremos"),
    },
    "fr": {
        "positive": (
            "j'adore !",
            "magnifique, trop content",
            "le meilleur de l'année",
            "génial, je recommande",
        ),
        "negative": (
            "très décevant",
            "quelle perte de temps",
            "nul, vraiment triste",
            "ennuyeux et trop cher",
        ),
        "neutral": ("on verra bien", "plus de détails demain", "à suivre"),
    },
    "de": {
        "positive": (
            "ich liebe es!",
            "großartig, bin so glücklich",
            "das Beste des Jahres",
            "super, klare Empfehlung",
        ),
        "negative": (
            "total enttäuschend",
            "was für eine Zeitverschwendung",
            "schlecht, echt traurig",
            "langweilig und teuer",
        ),
        "neutral": ("mal sehen", "mehr Details morgen", "bleibt spannend"),
    },
    "pt": {
        "positive": ("amei demais!", "incrível, muito feliz", "o melhor do ano", "maravilhoso, recomendo"),
        "negative": ("muito decepcionante", "que perda de tempo", "péssimo, que triste", "chato e caro"),
        "neutral": ("vamos ver", "mais detalhes amanhã", "a acompanhar"),
    },
    "it": {
        "positive": (
            "lo adoro!",
            "fantastico, sono felicissimo",
            "il migliore dell'anno",
            "bellissimo, consigliato",
        ),
        "negative": ("molto deludente", "che perdita di tempo", "pessimo, che tristezza", "noioso e caro"),
        "neutral": ("vedremo", "altri dettagli domani", "da seguire"),
    },
}

# Clean phrases that share words with spam or toxicity, so a model cannot flag on one keyword.
HARD_NEGATIVES: dict[str, tuple[str, ...]] = {
    "en": (
        "this beat is sick",
        "I'm dying 😂",
        "that goal was insane",
        "free entry for students",
        "link to the paper in the comments",
        "they absolutely killed it",
        "win or lose, proud of the team",
        "stupidly good",
        "damn, what a finish",
        "giveaway rules are in the official app",
    ),
    "es": ("entrada gratis para estudiantes", "me muero de risa 😂", "qué locura de gol", "lo petaron"),
    "fr": (
        "entrée gratuite pour les étudiants",
        "je suis mort de rire 😂",
        "ce but de malade",
        "ils ont tout déchiré",
    ),
    "de": ("Eintritt frei für Studierende", "ich lach mich tot 😂", "krasses Tor", "die haben's zerlegt"),
    "pt": ("entrada grátis para estudantes", "morri de rir 😂", "que golaço insano", "arrasaram demais"),
    "it": ("ingresso gratuito per studenti", "sto morendo dal ridere 😂", "gol pazzesco", "hanno spaccato"),
}

# Small talk: greetings, thanks, replies that address people. Ordinary posts say "you" and
# "thanks" all the time; without them a model trained on this world learns that "you" is an insult.
EVERYDAY_CHATTER: dict[str, tuple[str, ...]] = {
    "en": (
        "thank you, this made my day",
        "you were right about this one",
        "did you see the news this morning?",
        "happy friday everyone",
        "morning all, coffee time",
        "hope you are all doing well",
        "love you all, see you soon",
        "congrats, you deserve it",
        "have fun and stay safe",
        "good luck with your exam tomorrow",
        "how are you doing today?",
        "I'll call you later",
        "are you coming on saturday?",
        "you made my morning",
        "sending good vibes your way",
        "thanks everyone for the kind words",
        "so proud of you",
        "welcome back!",
        "what are you up to this weekend?",
        "can you send me the link?",
        "nice to meet you all",
        "glad you liked it",
        "long day at work, finally home",
        "dinner with the family tonight",
        "back from holiday and already tired",
        "I hope you feel better soon",
        "rainy sunday, perfect for a film",
        "you can do it!",
        "good evening from the balcony",
        "thanks a lot for the help yesterday",
        "my mum says hi",
        "first snow of the year",
        "who else is up this early?",
        "cheers, talk to you tomorrow",
    ),
    "es": ("gracias, me alegraste el día", "¿cómo estás?", "buenos días a todos", "te llamo luego"),
    "fr": ("merci, tu as fait ma journée", "comment ça va ?", "bonjour à tous", "je t'appelle plus tard"),
    "de": ("danke, du hast meinen Tag gerettet", "wie geht's dir?", "guten Morgen zusammen"),
    "pt": ("obrigado, você fez meu dia", "como você está?", "bom dia a todos"),
    "it": ("grazie, mi hai fatto la giornata", "come stai?", "buongiorno a tutti"),
}

# --- Spam: parts combined at random, so there are thousands of distinct spam texts. ---
SPAM_HOOKS: dict[str, tuple[str, ...]] = {
    "en": (
        "CONGRATULATIONS!",
        "Want to get rich fast?",
        "Limited offer!!!",
        "Tired of low engagement?",
        "URGENT:",
        "You have been selected!",
        "Make $500/day from home",
        "100% guaranteed",
        "Hey dear, check my profile",
        "Last chance today only",
        "WINNER!!",
        "Your account has been chosen for a reward",
        "Final notice:",
        "Exclusive deal for our valued members",
        "Free entry!",
        "You won't believe this trick",
    ),
    "es": ("¡FELICIDADES!", "¿Quieres ganar dinero rápido?", "¡Oferta limitada!", "¡Has sido seleccionado!"),
    "fr": (
        "FÉLICITATIONS !",
        "Envie de devenir riche vite ?",
        "Offre limitée !!!",
        "Vous avez été sélectionné !",
    ),
    "de": ("GLÜCKWUNSCH!", "Schnell reich werden?", "Nur heute!!!", "Sie wurden ausgewählt!"),
    "pt": ("PARABÉNS!", "Quer ficar rico rápido?", "Oferta limitada!!!", "Você foi selecionado!"),
    "it": (
        "CONGRATULAZIONI!",
        "Vuoi diventare ricco in fretta?",
        "Offerta limitata!!!",
        "Sei stato selezionato!",
    ),
}
SPAM_OFFERS: dict[str, tuple[str, ...]] = {
    "en": (
        "get 10000 free followers",
        "double your bitcoin in 24 hours",
        "claim your free iPhone",
        "earn passive income with our crypto bot",
        "buy followers and likes cheap",
        "win a $1000 gift card",
        "hot singles in your area",
        "lose 10kg in 7 days with this pill",
        "our forex signals never lose",
        "invest 100 USDT get 1000 back",
        "you have won a £1000 cash prize",
        "claim your guaranteed award of $2000",
        "get a free ringtone and 500 bonus credits",
        "cheap meds without prescription",
        "earn 5% daily with our NFT staking pool",
        "work from home and earn €300 per day",
        "unlock premium for FREE, no card needed",
        "your parcel is waiting, pay the €1.99 fee",
    ),
    "es": (
        "consigue 10000 seguidores gratis",
        "duplica tus bitcoins en 24 horas",
        "gana un iPhone gratis",
        "ingresos pasivos con nuestro bot cripto",
    ),
    "fr": (
        "obtenez 10000 abonnés gratuits",
        "doublez vos bitcoins en 24 heures",
        "gagnez un iPhone gratuit",
        "revenus passifs avec notre robot crypto",
    ),
    "de": (
        "10000 kostenlose Follower",
        "verdopple deine Bitcoins in 24 Stunden",
        "gewinne ein gratis iPhone",
        "passives Einkommen mit unserem Krypto-Bot",
    ),
    "pt": (
        "ganhe 10000 seguidores grátis",
        "dobre seus bitcoins em 24 horas",
        "ganhe um iPhone grátis",
        "renda passiva com nosso robô cripto",
    ),
    "it": (
        "ottieni 10000 follower gratis",
        "raddoppia i tuoi bitcoin in 24 ore",
        "vinci un iPhone gratis",
        "guadagni passivi con il nostro bot crypto",
    ),
}
SPAM_CALLS: dict[str, tuple[str, ...]] = {
    "en": (
        "click here",
        "DM me now",
        "link in bio",
        "visit",
        "sign up at",
        "send WhatsApp to +1 555 0199",
        "don't miss out, go to",
        "act now:",
        "reply YES to claim",
        "call now to claim your prize",
        "offer valid 48hrs only, visit",
    ),
    "es": ("haz clic aquí", "escríbeme ya", "enlace en mi perfil", "entra en"),
    "fr": ("cliquez ici", "écrivez-moi vite", "lien dans ma bio", "allez sur"),
    "de": ("hier klicken", "schreib mir jetzt", "Link in Bio", "geh auf"),
    "pt": ("clique aqui", "me chama no direct", "link na bio", "acesse"),
    "it": ("clicca qui", "scrivimi subito", "link in bio", "vai su"),
}
SPAM_DOMAINS = (
    "bit.ly/",
    "free-followers.xyz/",
    "crypto-double.io/",
    "win-prize.top/",
    "tinyurl.com/",
    "cheap-likes.shop/",
    "get-rich.click/",
    "promo-gift.site/",
)
SPAM_TAGS = (
    "#free",
    "#crypto",
    "#bitcoin",
    "#followforfollow",
    "#f4f",
    "#giveaway",
    "#money",
    "#win",
    "#forex",
    "#nft",
)
SPAM_EMOJI = ("💰", "🔥", "🚀", "💸", "🤑", "👉", "✅", "🎁")
SPAM_USERNAME_STEMS = ("free_followers", "crypto_king", "promo_deals", "win_prizes", "cash_fast", "nft_drop")

# --- Toxicity: insults aimed at a person, in each language. ---
INSULT_NOUNS: dict[str, tuple[str, ...]] = {
    "en": (
        "idiot",
        "moron",
        "loser",
        "clown",
        "dumbass",
        "jerk",
        "troll",
        "imbecile",
        "piece of trash",
        "asshole",
        "bitch",
        "scumbag",
        "waste of oxygen",
        "fool",
    ),
    "es": ("idiota", "imbécil", "payaso", "pringado", "basura", "inútil"),
    "fr": ("idiot", "crétin", "abruti", "guignol", "minable", "imbécile"),
    "de": ("Idiot", "Vollidiot", "Trottel", "Versager", "Clown", "Depp"),
    "pt": ("idiota", "otário", "palhaço", "imbecil", "lixo", "babaca"),
    "it": ("idiota", "cretino", "pagliaccio", "imbecille", "sfigato", "buffone"),
}
INSULT_ADJECTIVES: dict[str, tuple[str, ...]] = {
    "en": (
        "stupid",
        "pathetic",
        "brainless",
        "worthless",
        "disgusting",
        "f*cking",
        "useless",
        "ugly",
        "dumb",
        "fat",
        "braindead",
        "clueless",
        "shitty",
    ),
    "es": ("estúpido", "patético", "asqueroso", "inútil", "ridículo"),
    "fr": ("stupide", "pathétique", "débile", "dégueulasse", "nul"),
    "de": ("dumm", "erbärmlich", "hirnlos", "widerlich", "nutzlos"),
    "pt": ("burro", "patético", "nojento", "inútil", "ridículo"),
    "it": ("stupido", "patetico", "schifoso", "inutile", "ridicolo"),
}
INSULT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "you are a {adj} {noun}",
        "shut up, you {adj} {noun}",
        "nobody cares what a {noun} like you thinks",
        "only a {adj} {noun} would post this",
        "delete your account, {noun}",
        "go cry somewhere else, {noun}",
        "are you really this {adj}?",
        "what a {adj} take, typical {noun}",
        "stfu {noun}, nobody asked",
        "lmao look at this {adj} {noun}",
        "you're the dumbest {noun} on this app",
        "go to hell, {adj} {noun}",
        "i hope you choke on it, {noun}",
        "f*** off you {adj} {noun}",
    ),
    "es": (
        "eres un {noun} {adj}",
        "cállate, {noun}",
        "a nadie le importa lo que piense un {noun} como tú",
        "solo un {noun} {adj} publicaría esto",
        "borra tu cuenta, {noun}",
    ),
    "fr": (
        "t'es vraiment un {noun} {adj}",
        "ferme-la, {noun}",
        "personne n'en a rien à faire de l'avis d'un {noun}",
        "il faut être un {noun} {adj} pour poster ça",
        "supprime ton compte, {noun}",
    ),
    "de": (
        "du bist so ein {adj}er {noun}",
        "halt die Klappe, du {noun}",
        "keinen interessiert, was ein {noun} wie du denkt",
        "nur ein {noun} postet sowas",
        "lösch deinen Account, {noun}",
    ),
    "pt": (
        "você é um {noun} {adj}",
        "cala a boca, {noun}",
        "ninguém liga pro que um {noun} como você pensa",
        "só um {noun} {adj} postaria isso",
        "apaga sua conta, {noun}",
    ),
    "it": (
        "sei proprio un {noun} {adj}",
        "stai zitto, {noun}",
        "a nessuno importa cosa pensa un {noun} come te",
        "solo un {noun} {adj} scriverebbe questo",
        "cancella il tuo account, {noun}",
    ),
}

# --- Hate speech: attacks on a group for who they are. No slurs; the intent is what is labelled. ---
HATE_GROUPS: dict[str, tuple[str, ...]] = {
    "en": ("immigrants", "refugees", "muslims", "jews", "women", "gay people", "foreigners", "black people"),
    "es": ("los inmigrantes", "los refugiados", "los musulmanes", "los judíos", "las mujeres", "los gays"),
    "fr": ("les immigrés", "les réfugiés", "les musulmans", "les juifs", "les femmes", "les homos"),
    "de": ("Ausländer", "Flüchtlinge", "Muslime", "Juden", "Frauen", "Schwule"),
    "pt": ("os imigrantes", "os refugiados", "os muçulmanos", "os judeus", "as mulheres", "os gays"),
    "it": ("gli immigrati", "i profughi", "i musulmani", "gli ebrei", "le donne", "i gay"),
}
HATE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "{group} are vermin and should be thrown out",
        "I hate all {group}, every single one of them",
        "{group} don't deserve any rights",
        "{group} are ruining this country, get rid of them",
        "never trust {group}, they are subhuman",
        "{group} should not be allowed to live here",
    ),
    "es": (
        "{group} son una plaga y hay que echarlos",
        "odio a todos {group}",
        "{group} no merecen ningún derecho",
        "{group} están destruyendo este país, fuera",
    ),
    "fr": (
        "{group} sont de la vermine, dehors",
        "je déteste tous {group}",
        "{group} ne méritent aucun droit",
        "{group} détruisent ce pays, qu'ils dégagent",
    ),
    "de": (
        "{group} sind Ungeziefer und gehören raus",
        "ich hasse alle {group}",
        "{group} verdienen keine Rechte",
        "{group} zerstören dieses Land, weg mit ihnen",
    ),
    "pt": (
        "{group} são uma praga e devem ser expulsos",
        "odeio todos {group}",
        "{group} não merecem direitos",
        "{group} estão destruindo este país, fora",
    ),
    "it": (
        "{group} sono parassiti e vanno cacciati",
        "odio tutti {group}",
        "{group} non meritano nessun diritto",
        "{group} stanno distruggendo questo paese, fuori",
    ),
}

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "James",
        "Emma",
        "Olivia",
        "Liam",
        "Noah",
        "Ava",
        "Mia",
        "Ethan",
        "Grace",
        "Jack",
        "Chloe",
        "Ryan",
    ),
    "es": ("Lucía", "Mateo", "Sofía", "Hugo", "Martina", "Pablo", "Valeria", "Diego", "Carmen", "Javier"),
    "fr": ("Camille", "Louis", "Léa", "Hugo", "Manon", "Jules", "Chloé", "Lucas", "Inès", "Arthur"),
    "de": ("Lukas", "Anna", "Leon", "Marie", "Finn", "Lena", "Jonas", "Hannah", "Paul", "Laura"),
    "pt": ("João", "Maria", "Pedro", "Ana", "Gabriel", "Beatriz", "Lucas", "Mariana", "Rafael", "Júlia"),
    "it": (
        "Giulia",
        "Marco",
        "Francesca",
        "Luca",
        "Chiara",
        "Matteo",
        "Sara",
        "Alessandro",
        "Elena",
        "Andrea",
    ),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Walker", "Hughes", "Clarke"),
    "es": ("García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Fernández", "Ruiz", "Díaz", "Moreno"),
    "fr": (
        "Martin",
        "Bernard",
        "Dubois",
        "Thomas",
        "Robert",
        "Petit",
        "Durand",
        "Leroy",
        "Moreau",
        "Laurent",
    ),
    "de": (
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Hoffmann",
        "Koch",
    ),
    "pt": (
        "Silva",
        "Santos",
        "Oliveira",
        "Souza",
        "Costa",
        "Pereira",
        "Almeida",
        "Ferreira",
        "Rodrigues",
        "Lima",
    ),
    "it": (
        "Rossi",
        "Russo",
        "Ferrari",
        "Esposito",
        "Bianchi",
        "Romano",
        "Colombo",
        "Ricci",
        "Marino",
        "Greco",
    ),
}

# --- The benchmarks' short posts (socialflow_demo.samples). Fixed lists, apart from the world's, so
# `socialflow bench` measures the same workload from one release to the next. ---
# Content analysis: one or two English sentences about everyday subjects, a fifth in other languages.
BENCH_SUBJECTS = (
    "the new iPhone", "Taylor Swift's concert", "the Lakers game", "my sourdough bread", "this recipe",
    "the election debate", "Elden Ring", "our trip to Lisbon", "the stock market", "NASA's new telescope",
    "my morning workout", "the new Marvel movie", "this skincare routine", "our startup", "finals week",
    "the World Cup final", "my cat", "this meme", "the Python release", "the coffee shop downtown",
)  # fmt: skip
BENCH_OPENERS = (
    "Honestly {s} is amazing", "Can't believe {s} happened today", "Not sure how I feel about {s}",
    "{s} was a total disaster", "Anyone else obsessed with {s}?", "Just finished watching {s} with friends",
    "Thoughts on {s}? I think it's overrated", "So proud of {s}, what a week",
    "Worst experience ever with {s}", "Breaking: big news about {s}",
)  # fmt: skip
BENCH_FOLLOWUPS = (
    "", " Highly recommend.", " Never again.", " Who's coming with me next time?", " Best day of the year!",
    " Can't stop thinking about it.", " Full review on my blog.", " What do you all think?",
)  # fmt: skip
BENCH_FOREIGN = (
    "¡Qué partido tan increíble anoche! El Real Madrid jugó muy bien",
    "Je viens de finir ce livre, vraiment magnifique, je le recommande",
    "Hoje o dia está lindo, vou para a praia com os amigos",
    "Das neue Album ist richtig gut, ich höre es den ganzen Tag",
    "Ma che bella giornata per una passeggiata in centro",
)
BENCH_ANALYSIS_EXTRAS = (
    "", " #tbt", " #love #instagood", " 😂😂", " 🔥", " @jess_k", " https://t.co/a1B2c3", " #photography",
)  # fmt: skip
# Moderation: everyday posts, and spam, abusive and hateful ones to mix in and to train on.
BENCH_EVERYDAY = (
    "just finished my morning run, feeling great",
    "who else is watching the game tonight?",
    "new recipe: lemon garlic pasta, turned out amazing",
    "can't believe how fast this week went",
    "our team shipped the new release today",
    "the sunset at the beach was unreal",
    "reading a great book about the history of jazz",
    "anyone know a good coffee place downtown?",
    "my cat knocked everything off the shelf again",
    "happy birthday to my best friend, love you",
    "studying for finals, send snacks",
    "that concert last night was incredible",
    "trying to learn guitar, my fingers hurt",
    "traffic is terrible this morning",
    "thanks everyone for the kind messages",
)
BENCH_SPAM = (
    "WIN a FREE iPhone now, click the link to claim",
    "earn $500 a day from home, DM me for details",
    "congratulations you have been selected for a cash prize, call now",
    "cheap followers and likes, 1000 for $5, limited offer",
    "urgent: your account is locked, verify at the link",
    "hot singles in your area, text WIN to 80085",
    "buy now 90% off designer bags, free shipping today only",
)
BENCH_ABUSIVE = (
    "you are such a worthless idiot",
    "shut up, nobody cares what you think, loser",
    "this is the dumbest take I have ever seen, moron",
    "go away you pathetic clown",
    "what a disgusting stupid person",
)
BENCH_HATEFUL = (
    "people like them are vermin and should be driven out of this country",
    "that whole group is subhuman and does not deserve rights",
    "they are animals, every last one of their kind",
    "we should get rid of all of them, they are a disease",
)
BENCH_MODERATION_EXTRAS = (
    "", "", " lol", " 😂", " 🔥🔥", " #weekend", " #tbt", " @sam_k", " https://example.com/p/123", "!!!",
)  # fmt: skip
