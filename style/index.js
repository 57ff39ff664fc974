import './base.css';
import './dashboard.css';
import './workspace.css';
import './documents.css';
import './search.css';
import './sql.css';
import './voila.css';
